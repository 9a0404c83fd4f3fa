package agent

import (
	"bytes"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// Files the join leaves under <data-dir>/agent, with k3s's names and modes (certificates and
// keys 0600: pkg/agent/config/config.go getHostFile, getServingCert, getNodeNamedHostFile).

type agentFiles struct {
	dir                 string
	clientCA            string
	serverCA            string
	servingKubeletCert  string
	servingKubeletKey   string
	clientKubeletCert   string
	clientKubeletKey    string
	kubeletKubeconfig   string
	clientKubeProxyCert string
	clientKubeProxyKey  string
	kubeproxyKubeconfig string
	podManifests        string
	etc                 string
	cniConfDir          string
	kubeletConfigDir    string
}

func newAgentFiles(dataDir string) agentFiles {
	d := filepath.Join(dataDir, "agent")
	return agentFiles{
		dir:                 d,
		clientCA:            filepath.Join(d, "client-ca.crt"),
		serverCA:            filepath.Join(d, "server-ca.crt"),
		servingKubeletCert:  filepath.Join(d, "serving-kubelet.crt"),
		servingKubeletKey:   filepath.Join(d, "serving-kubelet.key"),
		clientKubeletCert:   filepath.Join(d, "client-kubelet.crt"),
		clientKubeletKey:    filepath.Join(d, "client-kubelet.key"),
		kubeletKubeconfig:   filepath.Join(d, "kubelet.kubeconfig"),
		clientKubeProxyCert: filepath.Join(d, "client-kube-proxy.crt"),
		clientKubeProxyKey:  filepath.Join(d, "client-kube-proxy.key"),
		kubeproxyKubeconfig: filepath.Join(d, "kubeproxy.kubeconfig"),
		podManifests:        filepath.Join(d, "pod-manifests"),
		etc:                 filepath.Join(d, "etc"),
		cniConfDir:          filepath.Join(d, "etc", "cni", "net.d"),
		kubeletConfigDir:    filepath.Join(d, "etc", "kubelet.conf.d"),
	}
}

// writeFile writes data with mode, also when the file existed with another mode (os.WriteFile
// keeps an existing file's mode), creating the parent directory (0700) if needed.
func writeFile(name string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(name, data, mode); err != nil {
		return err
	}
	return os.Chmod(name, mode)
}

// splitCertKeyPEM separates the certificate(s) from the private key in a supervisor answer.
func splitCertKeyPEM(b []byte) (certPem []byte, keyPem []byte) {
	for {
		block, rest := pem.Decode(b)
		if block == nil {
			break
		}
		b = rest
		if strings.Contains(block.Type, "PRIVATE KEY") {
			keyPem = append(keyPem, pem.EncodeToMemory(block)...)
		} else {
			certPem = append(certPem, pem.EncodeToMemory(block)...)
		}
	}
	return certPem, keyPem
}

// The kubeconfig k3s writes for the kubelet and kube-proxy (pkg/daemons/control/deps KubeConfig):
// file references, no embedded credentials.
var kubeconfigTemplate = template.Must(template.New("kubeconfig").Parse(`apiVersion: v1
clusters:
- cluster:
    server: {{.URL}}
    certificate-authority: {{.CACert}}
  name: local
contexts:
- context:
    cluster: local
    namespace: default
    user: user
  name: Default
current-context: Default
kind: Config
preferences: {}
users:
- name: user
  user:
    client-certificate: {{.ClientCert}}
    client-key: {{.ClientKey}}
`))

func writeKubeconfig(dest, url, caCert, clientCert, clientKey string) error {
	var b bytes.Buffer
	data := struct{ URL, CACert, ClientCert, ClientKey string }{url, caCert, clientCert, clientKey}
	if err := kubeconfigTemplate.Execute(&b, &data); err != nil {
		return err
	}
	return writeFile(dest, b.Bytes(), 0o600)
}

// writeCrictlConfig writes <data-dir>/agent/etc/crictl.yaml as k3s's setupCriCtlConfig
// (pkg/agent/run_linux.go) does for an external runtime endpoint.
func writeCrictlConfig(files agentFiles, runtimeEndpoint, imageEndpoint string) error {
	if err := os.MkdirAll(files.etc, 0o700); err != nil {
		return err
	}
	crp := "runtime-endpoint: " + runtimeEndpoint + "\n"
	if imageEndpoint != "" && imageEndpoint != runtimeEndpoint {
		// sic: k3s writes the runtime endpoint here too
		crp += "image-endpoint: " + runtimeEndpoint + "\n"
	}
	return writeFile(filepath.Join(files.etc, "crictl.yaml"), []byte(crp), 0o600)
}

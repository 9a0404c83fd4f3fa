package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/diag"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
)

const (
	typeCommand      = "command:remote:Command"
	typeCopyToRemote = "command:remote:CopyToRemote"
)

type commandProvider struct {
	pulumirpc.UnimplementedResourceProviderServer
	host *provider.HostClient
}

var unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, SkipNulls: true}

func (p *commandProvider) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version}, nil
}

func (p *commandProvider) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":"command","version":%q}`, version)}, nil
}

func (p *commandProvider) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

func (p *commandProvider) DiffConfig(context.Context, *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
}

func (p *commandProvider) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	// Secrets arrive as plain values; the engine re-marks outputs whose input was secret.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: false, SupportsPreview: false}, nil
}

func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	fail := func(prop, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: prop, Reason: reason})
	}
	conn, ok := news["connection"]
	switch {
	case !ok:
		fail("connection", "connection is required")
	case conn.IsObject():
		c := conn.ObjectValue()
		if h, ok := c["host"]; !ok || (h.IsString() && h.StringValue() == "") {
			fail("connection.host", "connection.host is required")
		}
		if px, ok := c["proxy"]; ok && !px.IsNull() {
			fail("connection.proxy", "proxy connections are not supported by this build of the command provider")
		}
	}
	switch resource.URN(req.GetUrn()).Type() {
	case typeCopyToRemote:
		if s, ok := news["source"]; !ok || !(s.IsAsset() || s.IsArchive() || s.IsComputed() || s.IsOutput()) {
			fail("source", "source must be an asset or an archive")
		}
		if r, ok := news["remotePath"]; !ok || (r.IsString() && r.StringValue() == "") {
			fail("remotePath", "remotePath is required")
		}
	case typeCommand:
	default:
		return nil, fmt.Errorf("unknown resource type %s", resource.URN(req.GetUrn()).Type())
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews(), Failures: failures}, nil
}

// inputKeys are the properties a user sets; everything else in the state is computed output.
var inputKeys = map[string][]string{
	typeCommand:      {"connection", "create", "update", "delete", "environment", "stdin", "triggers", "logging", "addPreviousOutputInEnv"},
	typeCopyToRemote: {"connection", "source", "remotePath", "triggers"},
}

func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	var diffs, replaces []string
	for _, k := range inputKeys[resource.URN(req.GetUrn()).Type().String()] {
		key := resource.PropertyKey(k)
		o, hasOld := olds[key]
		n, hasNew := news[key]
		if hasOld != hasNew || (hasOld && !o.DeepEquals(n)) || n.ContainsUnknowns() {
			diffs = append(diffs, k)
			if k == "triggers" {
				replaces = append(replaces, k)
			}
		}
	}
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{Changes: changes, Diffs: diffs, Replaces: replaces, HasDetailedDiff: false}, nil
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	props, err := plugin.UnmarshalProperties(req.GetProperties(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	outs, err := p.apply(ctx, urn, props, nil, "create")
	if err != nil {
		return nil, err
	}
	st, err := plugin.MarshalProperties(outs, plugin.MarshalOptions{})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: uniqueID(urn.Name()), Properties: st}, nil
}

func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := plugin.UnmarshalProperties(req.GetOlds(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	news, err := plugin.UnmarshalProperties(req.GetNews(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	outs, err := p.apply(ctx, urn, news, olds, "update")
	if err != nil {
		return nil, err
	}
	st, err := plugin.MarshalProperties(outs, plugin.MarshalOptions{})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: st}, nil
}

func (p *commandProvider) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	// As upstream: a command has no readable remote state, so refresh keeps what is recorded.
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

func (p *commandProvider) Delete(ctx context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	urn := resource.URN(req.GetUrn())
	if urn.Type() != typeCommand {
		return &emptypb.Empty{}, nil // copied files stay, as upstream
	}
	olds, err := plugin.UnmarshalProperties(req.GetProperties(), unmarshalOpts)
	if err != nil {
		return nil, err
	}
	del := stringProp(olds, "delete")
	if del == "" {
		return &emptypb.Empty{}, nil
	}
	conn, err := connectionFrom(olds)
	if err != nil {
		return nil, err
	}
	env := environmentFrom(olds)
	if boolProp(olds, "addPreviousOutputInEnv", true) {
		env["PULUMI_COMMAND_STDOUT"] = stringProp(olds, "stdout")
		env["PULUMI_COMMAND_STDERR"] = stringProp(olds, "stderr")
	}
	if _, err := run(conn, del, env, stringProp(olds, "stdin"), p.logger(ctx, urn, olds)); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

// apply runs the create (or update) step of a resource and returns its new outputs.
func (p *commandProvider) apply(ctx context.Context, urn resource.URN, props, olds resource.PropertyMap, phase string) (resource.PropertyMap, error) {
	conn, err := connectionFrom(props)
	if err != nil {
		return nil, err
	}
	outs := props.Copy()
	switch urn.Type() {
	case typeCommand:
		cmd := stringProp(props, "create")
		if phase == "update" && stringProp(props, "update") != "" {
			cmd = stringProp(props, "update")
		}
		if cmd == "" {
			return outs, nil
		}
		env := environmentFrom(props)
		if phase == "update" && olds != nil && boolProp(props, "addPreviousOutputInEnv", true) {
			env["PULUMI_COMMAND_STDOUT"] = stringProp(olds, "stdout")
			env["PULUMI_COMMAND_STDERR"] = stringProp(olds, "stderr")
		}
		res, err := run(conn, cmd, env, stringProp(props, "stdin"), p.logger(ctx, urn, props))
		if err != nil {
			return nil, err
		}
		outs["stdout"] = resource.NewStringProperty(res.stdout)
		outs["stderr"] = resource.NewStringProperty(res.stderr)
	case typeCopyToRemote:
		if err := copyToRemote(conn, props["source"], stringProp(props, "remotePath")); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown resource type %s", urn.Type())
	}
	return outs, nil
}

func copyToRemote(conn connection, source resource.PropertyValue, remotePath string) error {
	client, err := conn.dial()
	if err != nil {
		return err
	}
	defer client.Close()
	switch {
	case source.IsAsset():
		a := source.AssetValue()
		blob, err := a.Read()
		if err != nil {
			return fmt.Errorf("reading source asset: %w", err)
		}
		defer blob.Close()
		mode := os.FileMode(0o644)
		if p, ok := a.GetPath(); ok {
			if st, err := os.Stat(p); err == nil {
				mode = st.Mode().Perm()
			}
		}
		return upload(client, remotePath, blob, mode)
	case source.IsArchive():
		reader, err := source.ArchiveValue().Open()
		if err != nil {
			return fmt.Errorf("opening source archive: %w", err)
		}
		defer reader.Close()
		for {
			name, blob, err := reader.Next()
			if err != nil {
				if err.Error() == "EOF" {
					return nil
				}
				return fmt.Errorf("reading source archive: %w", err)
			}
			err = upload(client, path.Join(remotePath, name), blob, 0o644)
			blob.Close()
			if err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("source must be an asset or an archive")
	}
}

func (p *commandProvider) logger(ctx context.Context, urn resource.URN, props resource.PropertyMap) func(stream, line string) {
	mode := stringProp(props, "logging")
	if mode == "" {
		mode = "stdoutAndStderr"
	}
	return func(stream, line string) {
		if mode == "none" || (mode == "stdout" && stream != "stdout") || (mode == "stderr" && stream != "stderr") {
			return
		}
		_ = p.host.Log(ctx, diag.Info, urn, line)
	}
}

func connectionFrom(props resource.PropertyMap) (connection, error) {
	v, ok := props["connection"]
	if !ok || !v.IsObject() {
		return connection{}, fmt.Errorf("connection is required")
	}
	c := v.ObjectValue()
	conn := connection{
		Host:               stringProp(c, "host"),
		Port:               intProp(c, "port", 22),
		User:               stringProp(c, "user"),
		Password:           stringProp(c, "password"),
		PrivateKey:         stringProp(c, "privateKey"),
		PrivateKeyPassword: stringProp(c, "privateKeyPassword"),
		AgentSocketPath:    stringProp(c, "agentSocketPath"),
		HostKey:            stringProp(c, "hostKey"),
		DialErrorLimit:     intProp(c, "dialErrorLimit", 10),
		PerDialTimeout:     intProp(c, "perDialTimeout", 15),
	}
	if conn.User == "" {
		conn.User = "root"
	}
	if conn.Host == "" {
		return connection{}, fmt.Errorf("connection.host is required")
	}
	return conn, nil
}

func environmentFrom(props resource.PropertyMap) map[string]string {
	env := map[string]string{}
	if v, ok := props["environment"]; ok && v.IsObject() {
		obj := v.ObjectValue()
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		for _, k := range keys {
			env[k] = stringProp(obj, k)
		}
	}
	return env
}

func stringProp(m resource.PropertyMap, key string) string {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if v.IsString() {
		return v.StringValue()
	}
	return ""
}

func intProp(m resource.PropertyMap, key string, def int) int {
	v, ok := m[resource.PropertyKey(key)]
	if ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return def
}

func boolProp(m resource.PropertyMap, key string, def bool) bool {
	v, ok := m[resource.PropertyKey(key)]
	if ok && v.IsBool() {
		return v.BoolValue()
	}
	return def
}

func uniqueID(name string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return strings.ToLower(name) + "-" + hex.EncodeToString(b)
}

package agent

import _ "embed"

// cniPluginsTar is a flat tar of Debian's containernetworking-plugins binaries (bridge,
// host-local, loopback, portmap, bandwidth). The build puts it next to this file before `go
// build` (it is not committed: see ../.gitignore), e.g.
//
//	apt-get download containernetworking-plugins && dpkg-deb -x containernetworking-plugins_*.deb x
//	tar -cf agent/cni-plugins.tar -C x/usr/lib/cni bridge host-local loopback portmap bandwidth
//
//go:embed cni-plugins.tar
var cniPluginsTar []byte

package main

import (
	"context"
	"fmt"
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
	// Secrets arrive marked, so the provider can mark the whole connection secret, as upstream.
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, SupportsPreview: false}, nil
}

// Check validates inputs as upstream does, fills in the connection's defaults and marks the
// connection secret. A CopyToRemote source that is not known yet (preview of a resource whose
// source depends on another's output) fails, exactly as upstream 1.2.1 fails
// (pulumi/pulumi-command#754): programs must not rely on a computed source.
func (p *commandProvider) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	var failures []*pulumirpc.CheckFailure
	fail := func(prop, reason string) {
		failures = append(failures, &pulumirpc.CheckFailure{Property: prop, Reason: reason})
	}
	typ := resource.URN(req.GetUrn()).Type()
	if typ != typeCommand && typ != typeCopyToRemote {
		return nil, fmt.Errorf("unknown resource type %s", typ)
	}

	switch conn, ok := news["connection"]; {
	case !ok || conn.IsNull():
		fail("connection", "missing required property 'connection'")
	case plain(conn).IsObject():
		c := withConnectionDefaults(plain(conn).ObjectValue())
		if h, ok := c["host"]; !ok || h.IsNull() {
			fail("connection.host", "missing required property 'connection.host'")
		}
		news["connection"] = resource.MakeSecret(resource.NewObjectProperty(c))
	case !conn.ContainsUnknowns():
		fail("connection", "connection must be an object")
	default:
		news["connection"] = resource.MakeSecret(plain(conn))
	}

	if typ == typeCopyToRemote {
		src := plain(news["source"])
		switch {
		case src.IsAsset():
			if a := src.AssetValue(); !a.IsPath() && !a.IsText() {
				fail("asset", "asset must be a path-based file asset or a text asset")
			}
		case src.IsArchive():
			if !src.ArchiveValue().IsPath() {
				fail("archive", "archive must be a path to a file or directory")
			}
		default: // missing, or not known yet: upstream decodes neither an asset nor an archive
			fail("asset", "either asset or archive must be set")
		}
		if r, ok := news["remotePath"]; !ok || r.IsNull() {
			fail("remotePath", "missing required property 'remotePath'")
		}
	}
	return &pulumirpc.CheckResponse{Inputs: marshal(news), Failures: failures}, nil
}

// Diff compares the new inputs with the old ones, as upstream's (pulumi-go-provider's) default
// diff: `triggers` replaces when it appears, goes or changes as a whole; a change to one of its
// elements (path "triggers[0]") is an update at the provider, and the SDKs' own
// `replaceOnChanges: ["triggers[*]"]` makes the engine replace it.
func (p *commandProvider) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	oldStruct := req.GetOldInputs()
	if oldStruct == nil {
		oldStruct = req.GetOlds()
	}
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	for _, k := range []resource.PropertyKey{"stdout", "stderr"} {
		delete(olds, k) // outputs, when the engine sent no old inputs
	}
	for _, k := range req.GetIgnoreChanges() {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			news[resource.PropertyKey(k)] = v
		}
	}
	objDiff := olds.Diff(news)
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE, HasDetailedDiff: true, DetailedDiff: map[string]*pulumirpc.PropertyDiff{}}
	if objDiff == nil || !objDiff.AnyChanges() {
		return resp, nil
	}
	resp.Changes = pulumirpc.DiffResponse_DIFF_SOME
	seen := map[string]bool{}
	for path, d := range plugin.NewDetailedDiffFromObjectDiff(objDiff, false) {
		top := strings.SplitN(strings.SplitN(path, ".", 2)[0], "[", 2)[0]
		kind := d.Kind
		if path == "triggers" {
			kind = kind.AsReplace()
			if !seen["replace:"+top] {
				resp.Replaces = append(resp.Replaces, top)
				seen["replace:"+top] = true
			}
		}
		if !seen[top] {
			resp.Diffs = append(resp.Diffs, top)
			seen[top] = true
		}
		resp.DetailedDiff[path] = &pulumirpc.PropertyDiff{Kind: rpcDiffKind(kind), InputDiff: true}
	}
	return resp, nil
}

func rpcDiffKind(k plugin.DiffKind) pulumirpc.PropertyDiff_Kind {
	switch k {
	case plugin.DiffAdd:
		return pulumirpc.PropertyDiff_ADD
	case plugin.DiffAddReplace:
		return pulumirpc.PropertyDiff_ADD_REPLACE
	case plugin.DiffDelete:
		return pulumirpc.PropertyDiff_DELETE
	case plugin.DiffDeleteReplace:
		return pulumirpc.PropertyDiff_DELETE_REPLACE
	case plugin.DiffUpdateReplace:
		return pulumirpc.PropertyDiff_UPDATE_REPLACE
	default:
		return pulumirpc.PropertyDiff_UPDATE
	}
}

func (p *commandProvider) Create(ctx context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	urn := resource.URN(req.GetUrn())
	props, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	outs := outputsOf(props)
	switch urn.Type() {
	case typeCommand:
		outs["stdout"], outs["stderr"] = resource.NewStringProperty(""), resource.NewStringProperty("")
		if cmd, ok := optString(props, "create"); ok {
			res, err := p.runCommand(ctx, urn, props, cmd, "", "")
			if err != nil {
				return nil, err
			}
			outs["stdout"], outs["stderr"] = resource.NewStringProperty(res.stdout), resource.NewStringProperty(res.stderr)
		}
	case typeCopyToRemote:
		if err := p.copy(ctx, urn, props); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown resource type %s", urn.Type())
	}
	prefix := "" // upstream's ids: the name plus random hex for a command, random hex for a copy
	if urn.Type() == typeCommand {
		prefix = urn.Name()
	}
	id, err := resource.NewUniqueHex(prefix, 8, 0)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: marshal(outs)}, nil
}

// Update runs `update` (else `create`) with the previous output in the environment, keeping
// the old stdout/stderr when there is no command; a CopyToRemote copies again only when the
// source's hash or the remote path changed.
func (p *commandProvider) Update(ctx context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	urn := resource.URN(req.GetUrn())
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	outs := outputsOf(news)
	switch urn.Type() {
	case typeCommand:
		prevOut, prevErr := stringProp(olds, "stdout"), stringProp(olds, "stderr")
		outs["stdout"], outs["stderr"] = resource.NewStringProperty(prevOut), resource.NewStringProperty(prevErr)
		cmd, ok := optString(news, "update")
		if !ok {
			cmd, ok = optString(news, "create")
		}
		if ok {
			res, err := p.runCommand(ctx, urn, news, cmd, prevOut, prevErr)
			if err != nil {
				return nil, err
			}
			outs["stdout"], outs["stderr"] = resource.NewStringProperty(res.stdout), resource.NewStringProperty(res.stderr)
		}
	case typeCopyToRemote:
		oldSrc, _ := sourceFrom(olds["source"])
		newSrc, err := sourceFrom(news["source"])
		if err != nil {
			return nil, err
		}
		if oldSrc.hash != newSrc.hash || stringProp(olds, "remotePath") != stringProp(news, "remotePath") {
			if err := p.copy(ctx, urn, news); err != nil {
				return nil, err
			}
		}
	default:
		return nil, fmt.Errorf("unknown resource type %s", urn.Type())
	}
	return &pulumirpc.UpdateResponse{Properties: marshal(outs)}, nil
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
	olds, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	if cmd, ok := optString(olds, "delete"); ok {
		if _, err := p.runCommand(ctx, urn, olds, cmd, stringProp(olds, "stdout"), stringProp(olds, "stderr")); err != nil {
			return nil, err
		}
	}
	return &emptypb.Empty{}, nil
}

// outputsOf starts a resource's outputs from its inputs, the connection always secret.
func outputsOf(props resource.PropertyMap) resource.PropertyMap {
	outs := props.Copy()
	if c, ok := outs["connection"]; ok && !c.IsSecret() {
		outs["connection"] = resource.MakeSecret(c)
	}
	return outs
}

func (p *commandProvider) runCommand(ctx context.Context, urn resource.URN, props resource.PropertyMap, cmd, prevOut, prevErr string) (runResult, error) {
	conn, err := connectionFrom(props)
	if err != nil {
		return runResult{}, err
	}
	keys, env := stringMapProp(props, "environment")
	mode, _ := optString(props, "logging")
	return run(ctx, conn, runRequest{
		command:     cmd,
		environment: env,
		envKeys:     keys,
		stdin:       stringProp(props, "stdin"),
		addPrevious: boolProp(props, "addPreviousOutputInEnv", true),
		prevStdout:  prevOut,
		prevStderr:  prevErr,
		logStdout:   mode == "" || mode == "stdout" || mode == "stdoutAndStderr",
		logStderr:   mode == "" || mode == "stderr" || mode == "stdoutAndStderr",
	}, p.logger(ctx, urn))
}

func (p *commandProvider) copy(ctx context.Context, urn resource.URN, props resource.PropertyMap) error {
	conn, err := connectionFrom(props)
	if err != nil {
		return err
	}
	src, err := sourceFrom(props["source"])
	if err != nil {
		return err
	}
	return copyToRemote(ctx, conn, src, stringProp(props, "remotePath"), p.logger(ctx, urn).status)
}

// logger: command output and dial retries as passing status lines (shown while the step runs,
// not kept under Diagnostics), refused environment variables as lasting warnings/errors.
func (p *commandProvider) logger(ctx context.Context, urn resource.URN) logger {
	return logger{
		status:  func(line string) { _ = p.host.LogStatus(ctx, diag.Info, urn, line) },
		warning: func(msg string) { _ = p.host.Log(ctx, diag.Warning, urn, msg) },
		error:   func(msg string) { _ = p.host.Log(ctx, diag.Error, urn, msg) },
	}
}

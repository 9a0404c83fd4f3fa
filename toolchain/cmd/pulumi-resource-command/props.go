package main

import (
	"sort"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/contract"
	structpb "google.golang.org/protobuf/types/known/structpb"
)

// The provider accepts secrets (Configure), as upstream's does: values arrive marked, and the
// provider marks the whole `connection` secret itself, whether or not the program did.
var (
	unmarshalOpts = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, SkipNulls: true}
	marshalOpts   = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true}
)

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, unmarshalOpts)
}

func marshal(m resource.PropertyMap) *structpb.Struct {
	s, err := plugin.MarshalProperties(m, marshalOpts)
	contract.AssertNoErrorf(err, "marshalling properties")
	return s
}

// plain strips a secret marker (a value nested in a secret connection may be secret itself).
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func objectProp(m resource.PropertyMap, key string) (resource.PropertyMap, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return nil, false
	}
	v = plain(v)
	if !v.IsObject() {
		return nil, false
	}
	return v.ObjectValue(), true
}

func stringProp(m resource.PropertyMap, key string) string {
	s, _ := optString(m, key)
	return s
}

// optString tells a missing (or null) string from an empty one: upstream runs an empty
// `create` but skips a missing one.
func optString(m resource.PropertyMap, key string) (string, bool) {
	v, ok := m[resource.PropertyKey(key)]
	if !ok {
		return "", false
	}
	v = plain(v)
	if v.IsString() {
		return v.StringValue(), true
	}
	return "", false
}

func intProp(m resource.PropertyMap, key string, def int) int {
	v, ok := m[resource.PropertyKey(key)]
	if ok {
		v = plain(v)
		if v.IsNumber() {
			return int(v.NumberValue())
		}
	}
	return def
}

func boolProp(m resource.PropertyMap, key string, def bool) bool {
	v, ok := m[resource.PropertyKey(key)]
	if ok {
		v = plain(v)
		if v.IsBool() {
			return v.BoolValue()
		}
	}
	return def
}

func stringMapProp(m resource.PropertyMap, key string) (keys []string, values map[string]string) {
	values = map[string]string{}
	obj, ok := objectProp(m, key)
	if !ok {
		return nil, values
	}
	for k := range obj {
		keys = append(keys, string(k))
		values[string(k)] = stringProp(obj, string(k))
	}
	sort.Strings(keys)
	return keys, values
}

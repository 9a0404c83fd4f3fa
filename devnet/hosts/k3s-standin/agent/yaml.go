package agent

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// toYAML renders a kubeletConfig as block YAML with sorted keys, the layout sigs.k8s.io/yaml
// gives k3s's drop-in. Strings that YAML could read as something else are double-quoted (JSON
// quoting, which YAML accepts).

var plainScalar = regexp.MustCompile(`^[A-Za-z0-9/_.][A-Za-z0-9/_.:%<=,+-]*$`)

func yamlScalar(v any) string {
	switch x := v.(type) {
	case string:
		if plainScalar.MatchString(x) && !looksNonString(x) && !strings.Contains(x, ": ") {
			return x
		}
		b, _ := json.Marshal(x)
		return string(b)
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	default:
		return fmt.Sprint(x)
	}
}

// looksNonString: values YAML 1.1 would read as a number, bool or null.
func looksNonString(s string) bool {
	switch strings.ToLower(s) {
	case "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~":
		return true
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

func toYAML(c kubeletConfig) string {
	var b strings.Builder
	writeMap(&b, c, 0)
	return b.String()
}

func writeMap(b *strings.Builder, m kubeletConfig, indent int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pad := strings.Repeat(" ", indent)
	for _, k := range keys {
		writeValue(b, pad+yamlScalar(k)+":", m[k], indent)
	}
}

func writeValue(b *strings.Builder, prefix string, v any, indent int) {
	switch x := v.(type) {
	case kubeletConfig:
		if len(x) == 0 {
			b.WriteString(prefix + " {}\n")
			return
		}
		b.WriteString(prefix + "\n")
		writeMap(b, x, indent+2)
	case []string:
		items := make([]any, len(x))
		for i, s := range x {
			items[i] = s
		}
		writeValue(b, prefix, items, indent)
	case []any:
		if len(x) == 0 {
			b.WriteString(prefix + " []\n")
			return
		}
		b.WriteString(prefix + "\n")
		pad := strings.Repeat(" ", indent)
		for _, item := range x {
			if m, ok := item.(kubeletConfig); ok {
				// "- " then the map's keys, the first on the dash's line
				var sub strings.Builder
				writeMap(&sub, m, indent+2)
				s := sub.String()
				b.WriteString(pad + "- " + strings.TrimPrefix(s, strings.Repeat(" ", indent+2)))
				continue
			}
			b.WriteString(pad + "- " + yamlScalar(item) + "\n")
		}
	default:
		b.WriteString(prefix + " " + yamlScalar(x) + "\n")
	}
}

package report

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Markers returns the begin and end markers of section name.
func Markers(name string) (begin, end string) {
	return "<!-- bench:" + name + ":begin -->", "<!-- bench:" + name + ":end -->"
}

// ReplaceSection returns doc with the text between name's markers replaced by content; the section is appended
// at the end when the markers are missing. A begin marker without its end marker is an error (the file was
// edited by hand and rewriting it could lose text).
func ReplaceSection(doc, name, content string) (string, error) {
	begin, end := Markers(name)
	body := begin + "\n" + strings.TrimRight(content, "\n") + "\n" + end
	i := strings.Index(doc, begin)
	if i < 0 {
		if strings.Contains(doc, end) {
			return "", fmt.Errorf("rewrite section %s: end marker without begin marker; fix the file by hand", name)
		}
		sep := ""
		if doc != "" && !strings.HasSuffix(doc, "\n\n") {
			sep = "\n"
			if !strings.HasSuffix(doc, "\n") {
				sep = "\n\n"
			}
		}
		return doc + sep + body + "\n", nil
	}
	j := strings.Index(doc[i:], end)
	if j < 0 {
		return "", fmt.Errorf("rewrite section %s: begin marker without end marker; fix the file by hand", name)
	}
	return doc[:i] + body + doc[i+j+len(end):], nil
}

// UpdateFile rewrites the named sections of the file at path, creating it with intro when it does not exist.
func UpdateFile(path, intro string, sections [][2]string) error {
	b, err := os.ReadFile(path)
	doc := string(b)
	if errors.Is(err, os.ErrNotExist) {
		doc = intro
	} else if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	for _, s := range sections {
		if doc, err = ReplaceSection(doc, s[0], s[1]); err != nil {
			return err
		}
	}
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

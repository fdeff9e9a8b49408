package data

import (
	"fmt"
	"sort"
	"strings"
	"text/template"
)

// Named prompt templates. Each is a Go text/template over a record: .problem
// is the mapped problem text, .answer the reference answer, and every field
// of the record is there by its own name.
var templates = map[string]string{
	// The paper's template (Wang et al. 2025, after DAPO's Qwen base-model setup).
	"paper": "User:\n{{.problem}}\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nAssistant:\n",
	// DAPO's training prompt, whose reward reads the last "Answer:" line.
	"dapo": "Solve the following math problem step by step. The last line of your response should be of the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n{{.problem}}\n\nRemember to put your answer on its own line after \"Answer:\".",
	// Qwen2.5-Math's chain-of-thought instruction, without a chat wrapper.
	"qwen-boxed": "{{.problem}}\nPlease reason step by step, and put your final answer within \\boxed{}.",
	// Qwen's chat template (ChatML) around the same instruction, for Qwen3
	// instruct and chat models.
	"qwen-chat": "<|im_start|>user\n{{.problem}}\nPlease reason step by step, and put your final answer within \\boxed{}.<|im_end|>\n<|im_start|>assistant\n",
	// The problem text alone.
	"raw": "{{.problem}}",
}

// TemplateNames lists the named prompt templates.
func TemplateNames() []string {
	names := make([]string, 0, len(templates))
	for n := range templates {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Prompt renders records into prompts.
type Prompt struct {
	t *template.Template
}

// NewPrompt compiles a prompt template: a name from TemplateNames, or
// template text (anything containing "{{").
func NewPrompt(nameOrText string) (*Prompt, error) {
	src, ok := templates[nameOrText]
	if !ok {
		if !strings.Contains(nameOrText, "{{") {
			return nil, fmt.Errorf("unknown prompt template %q: use one of %s, or template text such as \"{{.problem}}\"", nameOrText, strings.Join(TemplateNames(), ", "))
		}
		src = nameOrText
	}
	t, err := template.New("prompt").Option("missingkey=error").Parse(src)
	if err != nil {
		return nil, fmt.Errorf("prompt template: %v", err)
	}
	return &Prompt{t: t}, nil
}

// Render makes the prompt of a record.
func (p *Prompt) Render(r Record) (string, error) {
	vars := make(map[string]any, len(r.Row)+2)
	for k, v := range r.Row {
		vars[k] = v
	}
	vars["problem"] = r.Problem
	vars["answer"] = r.Answer
	var b strings.Builder
	if err := p.t.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("prompt for record %s: %v", r.ID, err)
	}
	return b.String(), nil
}

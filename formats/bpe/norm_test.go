package bpe

import "golang.org/x/text/unicode/norm"

func normNFC(s string) string { return norm.NFC.String(s) }

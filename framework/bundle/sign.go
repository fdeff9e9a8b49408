package bundle

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/forkrl/forkrl/internal/atomicfile"
)

// Key files hold one line: the standard base64 of the key's bytes. A
// private key file holds the 32-byte ed25519 seed (RFC 8032's private
// key), a public key file the 32-byte public key. GenerateKey writes such a
// pair; `openssl pkey` keys are not read.

// GenerateKey writes a new ed25519 key pair: the private key to priv
// (readable by its owner only) and the public key to pub.
func GenerateKey(priv, pub string) error {
	pk, sk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	if _, err := os.Stat(priv); err == nil {
		return fmt.Errorf("%s exists: not overwritten", priv)
	}
	if err := atomicfile.WriteFileMode(priv, []byte(base64.StdEncoding.EncodeToString(sk.Seed())+"\n"), 0o600); err != nil {
		return err
	}
	return atomicfile.WriteFile(pub, []byte(base64.StdEncoding.EncodeToString(pk)+"\n"))
}

// ReadPrivateKey reads a private key file (see GenerateKey).
func ReadPrivateKey(file string) (ed25519.PrivateKey, error) {
	b, err := readKey(file, ed25519.SeedSize, "private")
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// ReadPublicKey reads a public key file (see GenerateKey).
func ReadPublicKey(file string) (ed25519.PublicKey, error) {
	b, err := readKey(file, ed25519.PublicKeySize, "public")
	return ed25519.PublicKey(b), err
}

func readKey(file string, size int, what string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) != size {
		return nil, fmt.Errorf("%s is not an ed25519 %s key: want one line with the base64 of %d bytes (forkrl bundle keygen writes one)", file, what, size)
	}
	return b, nil
}

// CheckSignature checks the bundle's signature of its manifest with a
// public key. The manifest lists every file's sha256, so a valid signature
// vouches for every file that matches it.
func (c Contents) CheckSignature(pub ed25519.PublicKey) error {
	if c.Signature == nil {
		return errors.New("the bundle is not signed")
	}
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(c.Signature)))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("%s is not an ed25519 signature", SignatureName)
	}
	if !ed25519.Verify(pub, c.ManifestRaw, sig) {
		return fmt.Errorf("the signature does not match: the manifest was changed, or signed with another key")
	}
	return nil
}

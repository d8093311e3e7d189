// Command cosigcheck verifies witness cosignatures on a C2SP checkpoint with code not
// written for ipledger: the log signature with golang.org/x/mod/sumdb/note (Debian's
// golang-golang-x-mod-dev), and each cosignature/v1 line (C2SP tlog-cosignature,
// signature type 0x04) with Go's crypto/ed25519 over the message the C2SP text defines:
//
//	"cosignature/v1\n" + "time " + decimal timestamp + "\n" + checkpoint note text
//
// where the signature blob is key ID (4) || big-endian uint64 timestamp (8) || Ed25519
// signature (64), and the key ID is SHA-256(name || 0x0A || 0x04 || public key)[:4].
//
// Usage: cosigcheck LOG_VKEY_FILE NOTE_FILE WITNESS_VKEY_FILE...
// Prints "log ok" then "cosigned <name> <timestamp>" per witness; exit 1 naming the
// first witness whose cosignature is missing or does not verify.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type witnessKey struct {
	name  string
	keyID [4]byte
	key   ed25519.PublicKey
}

// parseWitnessVkey parses "<name>+<hex key id>+<base64(0x04 || key)>".
func parseWitnessVkey(vkey string) (*witnessKey, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("malformed vkey")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, errors.New("not a cosignature/v1 (0x04) Ed25519 vkey")
	}
	w := &witnessKey{name: parts[0], key: ed25519.PublicKey(raw[1:])}
	h := sha256.New()
	h.Write([]byte(w.name))
	h.Write([]byte{'\n', 0x04})
	h.Write(w.key)
	copy(w.keyID[:], h.Sum(nil)[:4])
	if fmt.Sprintf("%08x", binary.BigEndian.Uint32(w.keyID[:])) != parts[1] {
		return nil, errors.New("key id does not match the key")
	}
	return w, nil
}

// checkCosignature finds w's line among the note's signature lines and verifies it.
func checkCosignature(text string, sigLines []string, w *witnessKey) (uint64, error) {
	for _, line := range sigLines {
		fields := strings.Fields(strings.TrimPrefix(line, "— "))
		if len(fields) != 2 || fields[0] != w.name {
			continue
		}
		blob, err := base64.StdEncoding.DecodeString(fields[1])
		if err != nil || len(blob) < 4 || !bytes.Equal(blob[:4], w.keyID[:]) {
			continue
		}
		if len(blob) != 4+8+ed25519.SignatureSize {
			return 0, errors.New("cosignature blob is not 76 bytes")
		}
		ts := binary.BigEndian.Uint64(blob[4:12])
		if ts == 0 || ts > 1<<63-1 {
			return 0, errors.New("cosignature timestamp out of range")
		}
		msg := "cosignature/v1\ntime " + strconv.FormatUint(ts, 10) + "\n" + text
		if !ed25519.Verify(w.key, []byte(msg), blob[12:]) {
			return 0, errors.New("cosignature does not verify")
		}
		return ts, nil
	}
	return 0, errors.New("no cosignature line")
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: cosigcheck LOG_VKEY_FILE NOTE_FILE WITNESS_VKEY_FILE...")
	}
	logVkey, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	msg, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	verifier, err := note.NewVerifier(strings.TrimSpace(string(logVkey)))
	if err != nil {
		return fmt.Errorf("log vkey: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return fmt.Errorf("log signature: %v", err)
	}
	fmt.Println("log ok")
	// The signature lines follow the first blank line after the text.
	sigBlock := strings.TrimSuffix(string(msg[len(n.Text)+1:]), "\n")
	sigLines := strings.Split(sigBlock, "\n")
	for _, file := range args[2:] {
		vkey, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		w, err := parseWitnessVkey(strings.TrimSpace(string(vkey)))
		if err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		ts, err := checkCosignature(n.Text, sigLines, w)
		if err != nil {
			return fmt.Errorf("witness %s: %v", w.name, err)
		}
		fmt.Printf("cosigned %s %d\n", w.name, ts)
	}
	return nil
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cosigcheck:", err)
		os.Exit(1)
	}
}

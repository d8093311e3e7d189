// Command logverify is ipledger's own conformance checker: it verifies what an ipledger
// log publishes (C2SP signed-note checkpoints, RFC 6962 / RFC 9162 inclusion and
// consistency proofs, C2SP tlog-proof files) with the Go checksum database's libraries,
// golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog, and none of ipledger's
// code. The tests in tests/integration run it on the ledger's output, and on tampered
// copies of that output, which it must refuse.
//
// Exit status: 0 verified, 1 refused (did not verify), 2 bad usage or malformed input.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// usageError is malformed input or a misused flag (exit 2); any other error is a
// verification failure (exit 1).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...interface{}) error {
	return usageError{fmt.Sprintf(format, args...)}
}

const usage = `usage:
  logverify checkpoint  --vkey VKEY --file PATH [--origin ORIGIN]
  logverify inclusion   (--checkpoint PATH --vkey VKEY | --size N --root HASH) --index I
                        (--leaf-data-b64 B64 | --leaf-hash HASH) --proof HASH,HASH,...
  logverify consistency (--old-checkpoint PATH --new-checkpoint PATH --vkey VKEY |
                         --old-size M --old-root HASH --new-size N --new-root HASH) --proof HASH,...
  logverify tlog-proof  --vkey VKEY --file PATH (--leaf-data-b64 B64 | --leaf-hash HASH)
HASH is 32 bytes as 64 hex digits or padded base64; VKEY is a C2SP signed-note verifier key.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	commands := map[string]func([]string) error{
		"checkpoint":  cmdCheckpoint,
		"inclusion":   cmdInclusion,
		"consistency": cmdConsistency,
		"tlog-proof":  cmdTlogProof,
	}
	run, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "logverify: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "logverify %s: %v\n", os.Args[1], err)
		var u usageError
		if errors.As(err, &u) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// checkpoint is the body of a C2SP tlog-checkpoint.
type checkpoint struct {
	origin     string
	size       int64
	root       tlog.Hash
	extensions []string
}

// parseCheckpointBody parses the note text strictly: origin, decimal size without
// leading zeros, canonical base64 of a 32-byte root, then optional non-empty lines.
func parseCheckpointBody(text string) (checkpoint, error) {
	var c checkpoint
	if !strings.HasSuffix(text, "\n") {
		return c, usagef("checkpoint body does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 {
		return c, usagef("checkpoint body has %d lines, want at least 3", len(lines))
	}
	for _, l := range lines {
		if l == "" {
			return c, usagef("checkpoint body has an empty line")
		}
	}
	c.origin = lines[0]
	if lines[1] != "0" && (strings.HasPrefix(lines[1], "0") || strings.HasPrefix(lines[1], "+")) {
		return c, usagef("tree size %q is not canonical decimal", lines[1])
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 {
		return c, usagef("tree size %q is not a decimal number", lines[1])
	}
	c.size = n
	raw, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize || base64.StdEncoding.EncodeToString(raw) != lines[2] {
		return c, usagef("root hash %q is not canonical base64 of 32 bytes", lines[2])
	}
	copy(c.root[:], raw)
	c.extensions = lines[3:]
	return c, nil
}

// openCheckpoint verifies the signed note in `path` with `vkey` (at least one signature
// by that key, none of its signatures bad) and parses its body.
func openCheckpoint(path, vkey string) (checkpoint, string, error) {
	if vkey == "" {
		return checkpoint{}, "", usagef("--vkey is required")
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return checkpoint{}, "", usagef("bad --vkey: %v", err)
	}
	var data []byte
	if path == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return checkpoint{}, "", usagef("%v", err)
	}
	return openNote(data, v)
}

// openNote verifies `data` as a signed note by `v` and parses its checkpoint body.
func openNote(data []byte, v note.Verifier) (checkpoint, string, error) {
	n, err := note.Open(data, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, "", fmt.Errorf("signed note does not verify with %s: %v", v.Name(), err)
	}
	c, err := parseCheckpointBody(n.Text)
	if err != nil {
		return checkpoint{}, "", err
	}
	return c, v.Name(), nil
}

func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	var raw []byte
	var err error
	if len(s) == 2*tlog.HashSize {
		raw, err = hex.DecodeString(s)
	} else {
		raw, err = base64.StdEncoding.Strict().DecodeString(s)
	}
	if err != nil || len(raw) != tlog.HashSize {
		return h, usagef("%q is not a 32-byte hash (hex or base64)", s)
	}
	copy(h[:], raw)
	return h, nil
}

func parseProof(csv string) ([]tlog.Hash, error) {
	if csv == "" {
		return nil, nil
	}
	var proof []tlog.Hash
	for _, s := range strings.Split(csv, ",") {
		h, err := parseHash(s)
		if err != nil {
			return nil, err
		}
		proof = append(proof, h)
	}
	return proof, nil
}

// leafHash takes exactly one of the leaf's bytes (base64) or its RFC 6962 leaf hash.
func leafHash(dataB64, hash string) (tlog.Hash, error) {
	switch {
	case dataB64 != "" && hash != "":
		return tlog.Hash{}, usagef("give --leaf-data-b64 or --leaf-hash, not both")
	case hash != "":
		return parseHash(hash)
	case dataB64 != "":
		data, err := base64.StdEncoding.Strict().DecodeString(dataB64)
		if err != nil {
			return tlog.Hash{}, usagef("--leaf-data-b64: %v", err)
		}
		return tlog.RecordHash(data), nil // SHA-256(0x00 || data)
	}
	return tlog.Hash{}, usagef("one of --leaf-data-b64 or --leaf-hash is required")
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usagef("%v", err)
	}
	if fs.NArg() != 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

func cmdCheckpoint(args []string) error {
	fs := flag.NewFlagSet("checkpoint", flag.ContinueOnError)
	vkey := fs.String("vkey", "", "verifier key")
	file := fs.String("file", "", "signed checkpoint (- for stdin)")
	origin := fs.String("origin", "", "required origin line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *file == "" {
		return usagef("--file is required")
	}
	c, signer, err := openCheckpoint(*file, *vkey)
	if err != nil {
		return err
	}
	if *origin != "" && c.origin != *origin {
		return fmt.Errorf("origin %q, want %q", c.origin, *origin)
	}
	fmt.Printf("origin: %s\nsize: %d\nroot: %s\nextensions: %d\nverified_signature: %s\nOK checkpoint\n",
		c.origin, c.size, hex.EncodeToString(c.root[:]), len(c.extensions), signer)
	return nil
}

func checkInclusion(index, size int64, leaf tlog.Hash, proof []tlog.Hash, root tlog.Hash) error {
	if index < 0 || index >= size {
		return usagef("index %d outside a tree of size %d", index, size)
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, index, leaf); err != nil {
		return fmt.Errorf("inclusion of leaf %d in tree %d: %v", index, size, err)
	}
	return nil
}

func cmdInclusion(args []string) error {
	fs := flag.NewFlagSet("inclusion", flag.ContinueOnError)
	cpFile := fs.String("checkpoint", "", "signed checkpoint giving size and root")
	vkey := fs.String("vkey", "", "verifier key of the checkpoint")
	size := fs.Int64("size", -1, "tree size")
	rootS := fs.String("root", "", "root hash")
	index := fs.Int64("index", -1, "0-based leaf index")
	dataB64 := fs.String("leaf-data-b64", "", "leaf bytes, base64")
	hashS := fs.String("leaf-hash", "", "leaf hash")
	proofS := fs.String("proof", "", "comma-separated proof hashes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	leaf, err := leafHash(*dataB64, *hashS)
	if err != nil {
		return err
	}
	proof, err := parseProof(*proofS)
	if err != nil {
		return err
	}
	var n int64
	var root tlog.Hash
	switch {
	case *cpFile != "" && (*size >= 0 || *rootS != ""):
		return usagef("give --checkpoint or --size and --root, not both")
	case *cpFile != "":
		c, _, err := openCheckpoint(*cpFile, *vkey)
		if err != nil {
			return err
		}
		n, root = c.size, c.root
	default:
		if *size < 0 || *rootS == "" {
			return usagef("--checkpoint, or --size and --root, are required")
		}
		if root, err = parseHash(*rootS); err != nil {
			return err
		}
		n = *size
	}
	if err := checkInclusion(*index, n, leaf, proof, root); err != nil {
		return err
	}
	fmt.Printf("OK inclusion index %d size %d\n", *index, n)
	return nil
}

func cmdConsistency(args []string) error {
	fs := flag.NewFlagSet("consistency", flag.ContinueOnError)
	oldFile := fs.String("old-checkpoint", "", "older signed checkpoint")
	newFile := fs.String("new-checkpoint", "", "newer signed checkpoint")
	vkey := fs.String("vkey", "", "verifier key of both checkpoints")
	oldSize := fs.Int64("old-size", -1, "older tree size")
	newSize := fs.Int64("new-size", -1, "newer tree size")
	oldRootS := fs.String("old-root", "", "older root")
	newRootS := fs.String("new-root", "", "newer root")
	proofS := fs.String("proof", "", "comma-separated proof hashes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	proof, err := parseProof(*proofS)
	if err != nil {
		return err
	}
	var m, n int64
	var oldRoot, newRoot tlog.Hash
	if *oldFile != "" || *newFile != "" {
		if *oldFile == "" || *newFile == "" || *oldSize >= 0 || *newSize >= 0 {
			return usagef("give both --old-checkpoint and --new-checkpoint, and no sizes")
		}
		o, _, err := openCheckpoint(*oldFile, *vkey)
		if err != nil {
			return err
		}
		nw, _, err := openCheckpoint(*newFile, *vkey)
		if err != nil {
			return err
		}
		if o.origin != nw.origin {
			return fmt.Errorf("checkpoints of different logs: %q and %q", o.origin, nw.origin)
		}
		m, oldRoot, n, newRoot = o.size, o.root, nw.size, nw.root
	} else {
		if *oldSize < 0 || *newSize < 0 {
			return usagef("sizes and roots, or two checkpoints, are required")
		}
		if oldRoot, err = parseHash(*oldRootS); err != nil {
			return err
		}
		if newRoot, err = parseHash(*newRootS); err != nil {
			return err
		}
		m, n = *oldSize, *newSize
	}
	// The empty tree is consistent with every tree; x/mod/sumdb/tlog does not define a
	// proof from it, so it is handled here: the proof must be empty.
	if m == 0 {
		if len(proof) != 0 {
			return fmt.Errorf("a proof from the empty tree must be empty")
		}
		fmt.Printf("OK consistency %d -> %d\n", m, n)
		return nil
	}
	if m > n {
		return fmt.Errorf("old size %d is larger than new size %d", m, n)
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), n, newRoot, m, oldRoot); err != nil {
		return fmt.Errorf("consistency %d -> %d: %v", m, n, err)
	}
	fmt.Printf("OK consistency %d -> %d\n", m, n)
	return nil
}

// cmdTlogProof verifies a c2sp.org/tlog-proof@v1 file: the header, an optional extra
// line, the index, the inclusion proof, an empty line and the signed checkpoint.
func cmdTlogProof(args []string) error {
	fs := flag.NewFlagSet("tlog-proof", flag.ContinueOnError)
	vkey := fs.String("vkey", "", "verifier key of the log")
	file := fs.String("file", "", "tlog-proof file")
	dataB64 := fs.String("leaf-data-b64", "", "leaf bytes, base64")
	hashS := fs.String("leaf-hash", "", "leaf hash")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	leaf, err := leafHash(*dataB64, *hashS)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return usagef("%v", err)
	}
	head, cp, ok := bytes.Cut(data, []byte("\n\n"))
	if !ok {
		return usagef("no empty line before the checkpoint")
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != "c2sp.org/tlog-proof@v1" {
		return usagef("first line %q is not c2sp.org/tlog-proof@v1", lines[0])
	}
	lines = lines[1:]
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		if _, err := base64.StdEncoding.Strict().DecodeString(lines[0][len("extra "):]); err != nil {
			return usagef("extra line: %v", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return usagef("no index line")
	}
	index, err := strconv.ParseInt(lines[0][len("index "):], 10, 64)
	if err != nil || strconv.FormatInt(index, 10) != lines[0][len("index "):] {
		return usagef("bad index line %q", lines[0])
	}
	var proof []tlog.Hash
	for _, l := range lines[1:] {
		raw, err := base64.StdEncoding.Strict().DecodeString(l)
		if err != nil || len(raw) != tlog.HashSize {
			return usagef("proof line %q is not base64 of 32 bytes", l)
		}
		var h tlog.Hash
		copy(h[:], raw)
		proof = append(proof, h)
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		return usagef("bad --vkey: %v", err)
	}
	c, _, err := openNote(cp, v)
	if err != nil {
		return err
	}
	if err := checkInclusion(index, c.size, leaf, proof, c.root); err != nil {
		return err
	}
	fmt.Printf("OK tlog-proof index %d size %d origin %s\n", index, c.size, c.origin)
	return nil
}

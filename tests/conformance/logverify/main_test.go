package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// The public vectors of tests/vectors (tests/vectors/README.md).
var vectors = filepath.Join("..", "..", "vectors")

type reference struct {
	LeafHashes []string `json:"leaf_hashes_hex"`
	Roots      map[string]string
	Inclusion  []struct {
		Index int64    `json:"leaf_index"`
		Size  int64    `json:"tree_size"`
		Leaf  string   `json:"leaf_hash_hex"`
		Root  string   `json:"root_hex"`
		Proof []string `json:"proof_hex"`
	} `json:"inclusion_proofs"`
	Consistency []struct {
		Size1 int64    `json:"size1"`
		Size2 int64    `json:"size2"`
		Root1 string   `json:"root1_hex"`
		Root2 string   `json:"root2_hex"`
		Proof []string `json:"proof_hex"`
	} `json:"consistency_proofs"`
}

func mustHash(t *testing.T, s string) tlog.Hash {
	h, err := parseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func hashes(t *testing.T, hexes []string) []tlog.Hash {
	var out []tlog.Hash
	for _, s := range hexes {
		out = append(out, mustHash(t, s))
	}
	return out
}

func TestReferenceTreeProofs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(vectors, "rfc6962-reference-8-leaves.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref reference
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	for _, p := range ref.Inclusion {
		proof := hashes(t, p.Proof)
		if err := checkInclusion(p.Index, p.Size, mustHash(t, p.Leaf), proof, mustHash(t, p.Root)); err != nil {
			t.Errorf("inclusion %d/%d: %v", p.Index, p.Size, err)
		}
		if len(proof) > 0 {
			proof[0][0] ^= 1
			if checkInclusion(p.Index, p.Size, mustHash(t, p.Leaf), proof, mustHash(t, p.Root)) == nil {
				t.Errorf("tampered inclusion %d/%d accepted", p.Index, p.Size)
			}
		}
	}
	for _, p := range ref.Consistency {
		proof := tlog.TreeProof(hashes(t, p.Proof))
		if err := tlog.CheckTree(proof, p.Size2, mustHash(t, p.Root2), p.Size1, mustHash(t, p.Root1)); err != nil {
			t.Errorf("consistency %d -> %d: %v", p.Size1, p.Size2, err)
		}
	}
	if len(ref.Inclusion) == 0 || len(ref.Consistency) == 0 {
		t.Fatal("no proofs in the reference vectors")
	}
}

func TestDerivedCheckpointAndTlogProof(t *testing.T) {
	var keys struct {
		Log struct{ Vkey string } `json:"log"`
	}
	data, err := os.ReadFile(filepath.Join(vectors, "derived", "keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &keys); err != nil {
		t.Fatal(err)
	}
	c, _, err := openCheckpoint(filepath.Join(vectors, "derived", "checkpoint-size8.note"), keys.Log.Vkey)
	if err != nil {
		t.Fatal(err)
	}
	if c.size != 8 || c.origin != "localhost.localdev/sumdb" {
		t.Fatalf("checkpoint %+v", c)
	}
	leaf, _ := hex.DecodeString("40414243") // leaf 5 of the reference tree
	file := filepath.Join(vectors, "derived", "tlog-proof-index5-size8.tlog-proof")
	args := []string{"--vkey", keys.Log.Vkey, "--file", file, "--leaf-data-b64", base64.StdEncoding.EncodeToString(leaf)}
	if err := cmdTlogProof(args); err != nil {
		t.Fatal(err)
	}
	args[len(args)-1] = base64.StdEncoding.EncodeToString([]byte("another leaf"))
	if cmdTlogProof(args) == nil {
		t.Fatal("tlog-proof accepted for another leaf")
	}
}

func TestCheckpointBodyIsParsedStrictly(t *testing.T) {
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, bad := range []string{
		"origin\n8\n",
		"origin\n08\n" + root + "\n",
		"origin\n-1\n" + root + "\n",
		"origin\n8\n" + root[:40] + "\n",
		"origin\n8\n" + root + "\n\n",
		"origin\n8\n" + root,
	} {
		if _, err := parseCheckpointBody(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
	if _, err := parseCheckpointBody("origin\n8\n" + root + "\next\n"); err != nil {
		t.Error(err)
	}
}

func TestNoteByAnotherKeyIsRefused(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "localhost.localdev/sumdb")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = openCheckpoint(filepath.Join(vectors, "derived", "checkpoint-size8.note"), vkey)
	if err == nil {
		t.Fatal("a checkpoint verified with another key of the same name")
	}
}

package luau

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

const bytecodeChunk = "local t = {} for i = 1, 10 do t[i] = i * i end return t[10] + #'bytecode'"

// Requirement: 1,000 copies of a valid chunk, each with one random bit flipped, give 1,000
// clean errors from LoadBytecode and DoBytecode (Luau's VM does not validate bytecode; the
// wrapper's integrity trailer does), and the intact chunk still runs.
func TestBytecodeBitFlipsAreCleanErrors(t *testing.T) {
	s := newState(t)
	good, err := s.Compile(bytecodeChunk)
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(0x2545f4914f6cdd1d)
	for i := 0; i < 1000; i++ {
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		bad := append([]byte(nil), good...)
		bit := seed % uint64(len(bad)*8)
		bad[bit/8] ^= 1 << (bit % 8)
		var load func(string, []byte) ([]any, error) = s.DoBytecode
		if i%2 == 0 {
			load = func(name string, bc []byte) ([]any, error) { _, err := s.LoadBytecode(name, bc); return nil, err }
		}
		if _, err := load("flip", bad); err == nil {
			t.Fatalf("flip of bit %d was accepted", bit)
		} else {
			var le *Error
			if !errors.As(err, &le) || (le.Kind != KindArgument && le.Kind != KindSyntax) {
				t.Fatalf("flip of bit %d: %v, want a kind argument error", bit, err)
			}
		}
	}
	got, err := s.DoBytecode("good", good)
	if err != nil || len(got) != 1 || got[0] != 108.0 {
		t.Fatalf("intact chunk = %v, %v", got, err)
	}
}

// Requirement: bytes not produced by the library's compiler, and bytecode whose trailer names
// another Luau version, are refused with a message saying why.
func TestForeignBytecodeIsRejectedByName(t *testing.T) {
	s := newState(t)
	_, err := s.LoadBytecode("raw", []byte("\x06\x01not bytecode"))
	if err == nil || !strings.Contains(err.Error(), "no integrity trailer") {
		t.Fatalf("raw bytes: %v", err)
	}
	bc, err := s.Compile("return 1")
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(bc[len(bc)-24+4:], 735)
	if _, err := s.LoadBytecode("old", bc); err == nil || !strings.Contains(err.Error(), "Luau 0.735") {
		t.Fatalf("other version: %v", err)
	}
}

package luau

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/luau-embed/luau-embed/go/pkg/luau/internal/capi"
)

// Kind classifies an Error. The kinds map one to one onto the status codes of the C ABI
// (luau_wrapper.h), plus four that only the binding produces. Kind.String gives the
// shared name the test matrix uses.
type Kind int

const (
	KindRuntime       Kind = iota + 1 // LUAW_ERRRUN: a runtime error in a script
	KindSyntax                        // LUAW_ERRSYNTAX: a compile error (message has the line)
	KindMemory                        // LUAW_ERRMEM: out of memory or over the memory limit
	KindHost                          // LUAW_ERRHOST: a host function's error escaped the script
	KindPanic                         // LUAW_ERRPANIC: a host function panicked
	KindArgument                      // LUAW_ERRARG: a bad argument to the binding or the wrapper
	KindBusy                          // LUAW_ERRBUSY: not allowed now (Close inside a host function)
	KindABI                           // LUAW_ERRABI: binding and library disagree on the ABI
	KindClosed                        // the State was closed
	KindConcurrentUse                 // the State is in use by another goroutine
	KindConversion                    // a value cannot be converted between Go and Luau
	KindPoisoned                      // a host function called runtime.Goexit: the State is unusable
	KindInterrupted                   // LUAW_ERRINTERRUPT: a stop request or a deadline ended the run
)

var kindNames = [...]string{
	KindRuntime:       "runtime",
	KindSyntax:        "syntax",
	KindMemory:        "memory",
	KindHost:          "host",
	KindPanic:         "panic",
	KindArgument:      "argument",
	KindBusy:          "busy",
	KindABI:           "abi",
	KindClosed:        "closed",
	KindConcurrentUse: "concurrent_use",
	KindConversion:    "conversion",
	KindPoisoned:      "poisoned",
	KindInterrupted:   "interrupted",
}

// String returns the kind's shared name, e.g. "runtime" or "concurrent_use".
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// kindOf maps a C status code to its Kind. LUAW_ERRERR (an error in the message handler,
// which the wrapper's handler never raises) is a runtime error.
func kindOf(status int32) Kind {
	switch status {
	case capi.ErrRun:
		return KindRuntime
	case capi.ErrSyntax:
		return KindSyntax
	case capi.ErrMem:
		return KindMemory
	case capi.ErrHost:
		return KindHost
	case capi.ErrPanic:
		return KindPanic
	case capi.ErrArg:
		return KindArgument
	case capi.ErrBusy:
		return KindBusy
	case capi.ErrABI:
		return KindABI
	case capi.ErrInterrupt:
		return KindInterrupted
	}
	return KindRuntime
}

// Error is the error type of every operation of this package.
//
// For KindHost, Unwrap returns the error the host function returned, so errors.Is and
// errors.As see through the round trip Go -> Luau -> Go. For KindInterrupted, Unwrap returns
// the context's error when a context ended the run (context.Canceled or
// context.DeadlineExceeded, see DoStringContext), and Interrupt tells the cause.
type Error struct {
	Kind      Kind
	Message   string // the Luau error message (for KindHost: the host error's text)
	Traceback string // the Luau call stack at the error, "" when unknown
	cause     error
	interrupt InterruptCause // KindInterrupted only
}

// Error returns the message.
func (e *Error) Error() string { return e.Message }

// Unwrap returns the original host error (KindHost), the context's error (KindInterrupted
// by a context), or nil.
func (e *Error) Unwrap() error { return e.cause }

// Is reports whether target is an *Error with the same Kind and an empty Message, so that
// errors.Is(err, &luau.Error{Kind: luau.KindClosed}) tests for a kind.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.cause == nil && t.Kind == e.Kind
}

// Format implements fmt.Formatter: %+v adds the kind and the traceback.
func (e *Error) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('+'):
		fmt.Fprintf(f, "luau %s error: %s", e.Kind, e.Message)
		if e.Traceback != "" {
			io.WriteString(f, "\n")
			io.WriteString(f, e.Traceback)
		}
	case verb == 'q':
		fmt.Fprintf(f, "%q", e.Message)
	default:
		io.WriteString(f, e.Message)
	}
}

func newError(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

func errPoisoned() *Error {
	return &Error{Kind: KindPoisoned, Message: "luau: state is unusable: a host function called runtime.Goexit (e.g. t.FailNow) during a call"}
}

func errClosed() *Error { return &Error{Kind: KindClosed, Message: "luau: state is closed"} }

func errConcurrent() *Error {
	return &Error{Kind: KindConcurrentUse, Message: "luau: state is in use by another goroutine"}
}

const tracebackHeader = "stack traceback:"

// nestedTraceback gives the traceback of a host error that escaped a script: when the host
// function's error is (or wraps) an *Error of a nested call into Luau, the whole call stack,
// innermost frame first: the nested error's frames, then the outer frames (from the host
// function's own frame outwards) unless the nested traceback already ends with them (a
// nested call on the same thread does; a nested chunk runs on a thread of its own). Every
// frame appears once and there is one "stack traceback:" header. Otherwise outer unchanged.
func nestedTraceback(cause error, outer string) string {
	var inner *Error
	if cause == nil || !errors.As(cause, &inner) || inner.Traceback == "" {
		return outer
	}
	return joinTracebacks(inner.Traceback, outer)
}

// joinTracebacks joins a nested error's traceback and the outer one (see nestedTraceback).
func joinTracebacks(inner, outer string) string {
	frames, ok := strings.CutPrefix(outer, tracebackHeader)
	if !ok && outer != "" {
		frames = "\n" + outer
	}
	if frames == "" || strings.HasSuffix(inner, frames) {
		return inner
	}
	return inner + frames
}

/*
** luau_wrapper.h: the C ABI of luau-embed, shared by the Go and Rust bindings.
**
** Pure C99, standard headers only: no Luau header is included, so the bindings never see
** Luau's macros or its ABI-dependent constants.
**
** Conventions
** - Every function is non-raising: no C++ exception and no longjmp ever leaves it. VM work
**   runs under a protected call; failures come back as a status code (luaw_Status).
** - Strings are pointer + length and may contain NUL bytes.
** - Ownership is stated on every pointer:
**     "borrowed"  the callee does not keep it past the call;
**     "state-owned, valid until the next call on S"  copy it out at once;
**     "caller frees with luaw_free"  heap memory handed to the caller.
** - Stack indices are Lua-style: 1..top from the bottom, -1..-top from the top. Pseudo
**   indices are never accepted: a bad index gives LUAW_ERRARG, never memory corruption.
** - One luaw_State is used by one thread at a time. Distinct states are independent.
*/
#ifndef LUAU_WRAPPER_H
#define LUAU_WRAPPER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define LUAW_NOEXCEPT noexcept /* the C++ implementation promises: nothing escapes */
extern "C" {
#else
#define LUAW_NOEXCEPT
#endif

/* Bumped on any change to the layout of a struct or the meaning of a call below. */
#define LUAW_ABI_VERSION 2

/* A Luau VM together with the wrapper's per-state data. Opaque. */
typedef struct luaw_State luaw_State;

/*
** Status codes. Values are part of the ABI and are never renumbered: 0..5 equal Luau's
** lua_Status; 16 and up are the wrapper's own.
*/
typedef enum luaw_Status {
    LUAW_OK = 0,
    LUAW_YIELD = 1,       /* reserved: a coroutine yielded */
    LUAW_ERRRUN = 2,      /* a runtime error (message + traceback) */
    LUAW_ERRSYNTAX = 3,   /* a compile error; the message starts with ":<line>:" */
    LUAW_ERRMEM = 4,      /* out of memory, or over the state's memory limit */
    LUAW_ERRERR = 5,      /* error while handling an error (e.g. C stack exhausted in a handler) */
    LUAW_ERRHOST = 16,    /* a host function's error escaped the script: see luaw_Error.host_token */
    LUAW_ERRPANIC = 17,   /* a host function panicked (sticky until the outermost call returns) */
    LUAW_ERRARG = 18,     /* the wrapper rejected an argument: bad index, wrong type, NULL */
    LUAW_ERRBUSY = 19,    /* not allowed now, e.g. luaw_close from inside a host function */
    LUAW_ERRABI = 20,     /* the binding and the library disagree on the ABI */
    LUAW_ERRINTERRUPT = 21, /* a stop request ended the run (sticky like a panic): see
                              luaw_Error.host_token for the cause (LUAW_STOP_*) */
    LUAW_ERRUNSUPPORTED = 22 /* not available in this build or on this machine (codegen) */
} luaw_Status;

/* Value types, as seen through the wrapper. Values equal Luau's lua_Type. */
typedef enum luaw_Type {
    LUAW_TNONE = -1,
    LUAW_TNIL = 0,
    LUAW_TBOOLEAN = 1,
    LUAW_TLIGHTUSERDATA = 2,
    LUAW_TNUMBER = 3,
    LUAW_TINTEGER = 4,
    LUAW_TVECTOR = 5,
    LUAW_TSTRING = 6,
    LUAW_TTABLE = 7,
    LUAW_TFUNCTION = 8,
    LUAW_TUSERDATA = 9,
    LUAW_TTHREAD = 10,
    LUAW_TBUFFER = 11,
    /* results only: "the value at stack index u.stack_index" (tables, functions, ...) */
    LUAW_TSTACK = 100
} luaw_Type;

/* Build facts both bindings compare with their own expectations when a state is created. */
typedef struct luaw_BuildInfo {
    uint32_t abi_version;      /* LUAW_ABI_VERSION the library was built with */
    int32_t max_cstack;        /* LUAI_MAXCSTACK */
    int32_t vector_size;       /* LUA_VECTOR_SIZE */
    int32_t uses_longjmp;      /* 1 if Luau errors are longjmp, 0 if C++ exceptions */
    int32_t asserts_enabled;   /* 1 if LUAU_ENABLE_ASSERT is on */
    const char* luau_version;  /* static string, e.g. "0.745" */
} luaw_BuildInfo;

uint32_t luaw_abi_version(void) LUAW_NOEXCEPT;
void luaw_build_info(luaw_BuildInfo* out) LUAW_NOEXCEPT;

/* Frees memory the wrapper handed to the caller ("caller frees with luaw_free"). NULL ok. */
void luaw_free(void* p) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Errors
** ------------------------------------------------------------------------------------ */

/*
** Filled by every call that can fail. message and traceback are state-owned, valid until
** the next call on the same state: copy them out at once.
*/
typedef struct luaw_Error {
    int32_t status;            /* a luaw_Status */
    const char* message;       /* never NULL when status != LUAW_OK */
    size_t message_len;
    const char* traceback;     /* Luau call stack at the error, "" when unknown */
    size_t traceback_len;
    uint64_t host_token;       /* LUAW_ERRHOST / LUAW_ERRPANIC: the token the host returned;
                                  LUAW_ERRINTERRUPT: the cause, a LUAW_STOP_* value */
} luaw_Error;

/* ------------------------------------------------------------------------------------
** State
** ------------------------------------------------------------------------------------ */

typedef struct luaw_Options {
    uint32_t abi_version;      /* must be LUAW_ABI_VERSION, else luaw_new fails */
    size_t memory_limit;       /* bytes of Luau heap; 0 = unlimited */
    int32_t open_libs;         /* 0: none; 1: all of Luau's standard libraries; or
                                  LUAW_LIBS_SELECT | LUAW_LIB_* bits: just those. With the
                                  base library come the wrapper's print and loadstring */
} luaw_Options;

/* Library selection for luaw_Options.open_libs. */
#define LUAW_LIBS_SELECT 0x40000000 /* open_libs is a mask of the bits below */
#define LUAW_LIB_BASE 0x001         /* _G, pcall, error, print (to the sink), loadstring, ... */
#define LUAW_LIB_COROUTINE 0x002
#define LUAW_LIB_TABLE 0x004
#define LUAW_LIB_OS 0x008           /* os.clock, os.date, os.time, os.difftime: the host's clock */
#define LUAW_LIB_STRING 0x010
#define LUAW_LIB_MATH 0x020
#define LUAW_LIB_DEBUG 0x040        /* debug.info, debug.traceback: call stack introspection */
#define LUAW_LIB_UTF8 0x080
#define LUAW_LIB_BIT32 0x100
#define LUAW_LIB_BUFFER 0x200
#define LUAW_LIB_VECTOR 0x400
#define LUAW_LIBS_ALL 0x7ff

/*
** Creates a state. Returns NULL and sets *status (if non-NULL) to LUAW_ERRABI when
** opts->abi_version differs, or LUAW_ERRMEM when memory ran out. opts may be NULL
** (defaults: no limit, standard libraries).
*/
luaw_State* luaw_new(const luaw_Options* opts, int32_t* status) LUAW_NOEXCEPT;

/*
** Closes the state and frees everything it owns. Returns LUAW_ERRBUSY (and closes
** nothing) while a host function or a call on S is running. S == NULL is LUAW_OK.
*/
int32_t luaw_close(luaw_State* S) LUAW_NOEXCEPT;

/* Memory: bytes in use by the Luau heap; run a full collection. */
size_t luaw_memory_used(luaw_State* S) LUAW_NOEXCEPT;
int32_t luaw_gc_collect(luaw_State* S) LUAW_NOEXCEPT;
/* Sets the limit (0 = none). Takes effect on the next allocation. */
void luaw_set_memory_limit(luaw_State* S, size_t bytes) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Compile, load, call
** ------------------------------------------------------------------------------------ */

typedef struct luaw_CompileOptions {
    int32_t optimization_level; /* 0, 1 (default) or 2 */
    int32_t debug_level;        /* 0, 1 (default: line info, names) or 2 */
} luaw_CompileOptions;

/*
** Compiles source to bytecode. Needs no state and is safe on any thread.
** On LUAW_OK, *out is bytecode followed by a 24-byte integrity trailer (Luau version and a
** checksum): it may be stored and loaded by another process of the same library build; on LUAW_ERRSYNTAX, *out is the message
** (":<line>: <text>"). Either way *out is caller-freed with luaw_free.
** LUAW_ERRMEM leaves *out NULL. opts may be NULL (level 1 / 1).
*/
int32_t luaw_compile(const char* src, size_t src_len, const luaw_CompileOptions* opts,
                     char** out, size_t* out_len) LUAW_NOEXCEPT;

/*
** Loads bytecode as a function and pushes it. chunkname (borrowed) names the chunk in
** messages. Only bytecode from luaw_compile is accepted: a missing or malformed trailer, another
** Luau version or a checksum mismatch gives LUAW_ERRARG ("bytecode rejected: ...") before the
** VM sees a byte (Luau does not validate bytecode). The checksum detects corruption, not
** forgery: never load bytecode from an untrusted source.
*/
int32_t luaw_load(luaw_State* S, const char* chunkname, size_t chunkname_len,
                  const char* bytecode, size_t bytecode_len, luaw_Error* err) LUAW_NOEXCEPT;

/*
** Calls the function below the top nargs values, as lua_pcall, with a traceback taken at
** the error. nresults < 0 keeps all results. On error nothing is left on the stack: the
** function and its arguments are popped, and err describes the error.
*/
#define LUAW_MULTRET (-1)
int32_t luaw_pcall(luaw_State* S, int32_t nargs, int32_t nresults, luaw_Error* err) LUAW_NOEXCEPT;

/*
** One crossing for the common case: compile src, load it as chunkname, run it as a main
** chunk (see luaw_run); the results stay on the stack and *nresults (if non-NULL) says how
** many.
*/
int32_t luaw_dostring(luaw_State* S, const char* src, size_t src_len,
                      const char* chunkname, size_t chunkname_len,
                      int32_t* nresults, luaw_Error* err) LUAW_NOEXCEPT;

/*
** Runs the function below the top nargs values to completion as a main chunk, as
** luaw_dostring runs its chunk: on a thread of its own, resumed with no enclosing C call, so
** it is yieldable and its pcall depth is Luau's own, while coroutine.running() is nil in it
** (it is not a coroutine). A yield that reaches the host is an error (LUAW_ERRRUN): create a
** thread (luaw_thread_new) to resume a function that yields. Results and errors as luaw_pcall
** with LUAW_MULTRET; *nresults (if non-NULL) says how many results are on the stack.
*/
int32_t luaw_run(luaw_State* S, int32_t nargs, int32_t* nresults, luaw_Error* err) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Values
**
** A luaw_Value carries nil, boolean, number, integer, vector and string by value; any other
** type by its stack index (LUAW_TSTACK in results, its own type with u.stack_index in
** arguments and luaw_read_values).
** ------------------------------------------------------------------------------------ */

typedef struct luaw_Value {
    int32_t type;                 /* a luaw_Type */
    int32_t stack_index;          /* absolute stack index of the value, or 0 */
    union {
        int32_t boolean;
        double number;
        int64_t integer;
        float vector[4];          /* x, y, z (w unused with LUA_VECTOR_SIZE 3) */
        struct {
            const char* ptr;      /* arguments: borrowed from Luau, valid while the value
                                     is on the stack; results: C memory (e.g. scratch) */
            size_t len;
        } string;
        struct {
            uint64_t handle;      /* host userdata (see "Host userdata"); 0 for a foreign one */
            uint32_t type_id;
        } userdata;
    } u;
} luaw_Value;

/* Stack size, and setting it (idx >= 0 absolute; < 0 relative to top). */
int32_t luaw_gettop(luaw_State* S) LUAW_NOEXCEPT;
int32_t luaw_settop(luaw_State* S, int32_t idx) LUAW_NOEXCEPT;
int32_t luaw_type(luaw_State* S, int32_t idx) LUAW_NOEXCEPT; /* LUAW_TNONE for an invalid index */

/* Reads n values starting at absolute index first into out (caller's memory). Strings are
** borrowed from Luau (valid while the values stay on the stack); non-scalars report their
** type and stack_index. Numbers are never converted to strings. */
int32_t luaw_read_values(luaw_State* S, int32_t first, int32_t n, luaw_Value* out) LUAW_NOEXCEPT;

/* Pushes n values (scalars copied, LUAW_TSTACK values duplicated). Protected. */
int32_t luaw_push_values(luaw_State* S, const luaw_Value* values, int32_t n, luaw_Error* err) LUAW_NOEXCEPT;

/* tostring() semantics incl. __tostring. Pushes the string and returns it, borrowed. */
int32_t luaw_tostring(luaw_State* S, int32_t idx, const char** ptr, size_t* len, luaw_Error* err) LUAW_NOEXCEPT;

/* Globals and tables. Keys are pointer + length. Every call is protected: a metamethod
** error comes back as a status. On success a get pushes one value and *type gets its
** type; a set pops one value. */
int32_t luaw_getglobal(luaw_State* S, const char* name, size_t len, int32_t* type, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_setglobal(luaw_State* S, const char* name, size_t len, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_newtable(luaw_State* S, int32_t narr, int32_t nrec, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_getfield(luaw_State* S, int32_t idx, const char* key, size_t len, int32_t* type, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_setfield(luaw_State* S, int32_t idx, const char* key, size_t len, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_geti(luaw_State* S, int32_t idx, int64_t i, int32_t* type, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_seti(luaw_State* S, int32_t idx, int64_t i, luaw_Error* err) LUAW_NOEXCEPT;
/* Raw length (#t without __len) of a table, string or buffer. */
int32_t luaw_rawlen(luaw_State* S, int32_t idx, size_t* len) LUAW_NOEXCEPT;
/* An address identifying the table, function, userdata, thread or buffer at idx for as long
** as it lives (lua_topointer), 0 for any other value or a bad index. Never dereferenced:
** bindings use it to convert a table reached twice only once. */
uintptr_t luaw_topointer(luaw_State* S, int32_t idx) LUAW_NOEXCEPT;
/* Table iteration: push a key (nil to start); while *more, key and value are pushed
** (key below value); pop the value and call again. */
int32_t luaw_next(luaw_State* S, int32_t idx, int32_t* more, luaw_Error* err) LUAW_NOEXCEPT;
/* t[key] with the key on top of the stack and the table t at idx: the key is replaced by the
** value (raw nonzero: no metamethods, as rawget) and *type gets its type. On failure (also
** LUAW_ERRARG for an idx that is not a table below the key) the key is popped. Protected: a
** metamethod error comes back as a status. */
int32_t luaw_table_get(luaw_State* S, int32_t idx, int32_t raw, int32_t* type, luaw_Error* err) LUAW_NOEXCEPT;
/* t[key] = value with key and value on top (value on top) and t at idx; both are popped,
** also on failure. raw nonzero: no metamethods (as rawset; a read-only table is refused,
** LUAW_ERRARG). A nil or NaN key is a runtime error. */
int32_t luaw_table_set(luaw_State* S, int32_t idx, int32_t raw, luaw_Error* err) LUAW_NOEXCEPT;

/*
** One crossing for "call global function `name` with args": the results stay on the stack
** (*nresults_out says how many; nresults < 0 keeps all). Arguments as luaw_push_values.
*/
int32_t luaw_call_global(luaw_State* S, const char* name, size_t name_len, const luaw_Value* args,
                         int32_t nargs, int32_t nresults, int32_t* nresults_out, luaw_Error* err) LUAW_NOEXCEPT;
/* The same for the function held by reference ref (see luaw_ref). */
int32_t luaw_call_ref(luaw_State* S, int32_t ref, const luaw_Value* args, int32_t nargs, int32_t nresults,
                      int32_t* nresults_out, luaw_Error* err) LUAW_NOEXCEPT;
/* What luaw_call_ref_read did with the results. */
typedef struct luaw_CallResult {
    int32_t base;     /* the stack height before the call */
    int32_t nresults; /* how many results the call left */
    int32_t nread;    /* how many of them are in results: min(nresults, results_cap) */
    int32_t popped;   /* 1: all were read and each is carried by value (nil, boolean, number,
                         integer, vector), so they were popped: the stack is back at base.
                         0: they stay above base (strings and stack indices in results refer
                         to them) until the caller's luaw_settop(S, base). */
} luaw_CallResult;
/* luaw_call_ref and luaw_read_values in one crossing: the host's hot path for calling a
** stored callback. results (results_cap values, caller-owned) receives the first results.
** On error nothing is left on the stack. */
int32_t luaw_call_ref_read(luaw_State* S, int32_t ref, const luaw_Value* args, int32_t nargs, int32_t nresults,
                           luaw_Value* results, int32_t results_cap, luaw_CallResult* out,
                           luaw_Error* err) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Host functions
**
** A host function is a Luau C closure whose upvalue carries a 64-bit function id. When a
** script calls it, the wrapper's trampoline fills a luaw_Call (arguments in C memory) and
** calls the state's dispatcher once. Only after the dispatcher has returned does the
** trampoline push the results or raise the Luau error, so no Luau error ever unwinds
** through the host's frames.
** ------------------------------------------------------------------------------------ */

/* Dispatcher return values. */
#define LUAW_CB_OK 0       /* results are in results[0 .. nresults) */
#define LUAW_CB_ERROR (-1) /* raise error_message as a Luau error; error_token names it */
#define LUAW_CB_PANIC (-2) /* the host panicked: raise, and report LUAW_ERRPANIC at the
                              outermost call even if a script's pcall caught it */
#define LUAW_CB_YIELD (-3) /* yield results[0 .. nresults) from the calling thread. On resume,
                              with yield_continuation 0 the resume values become the host
                              function's results; otherwise the dispatcher is called again with
                              continuation = that token and the resume values as arguments, and
                              its answer (results, error, another yield) is the function's. Where
                              the thread cannot yield, a Luau error says so instead. Nested
                              calls made by a host function never yield (they run to the end) */

#define LUAW_INLINE_RESULTS 8

typedef struct luaw_Call {
    luaw_State* state;          /* the calling state; use it for nested calls */
    uint64_t function_id;       /* the id the function was pushed with */
    const char* name;           /* borrowed: the registered name (for messages) */
    size_t name_len;

    const luaw_Value* args;     /* borrowed, valid for this call only */
    int32_t nargs;

    luaw_Value* results;        /* C memory; capacity results_cap */
    int32_t nresults;           /* set by the host */
    int32_t results_cap;

    char* scratch;              /* C memory for result strings / the error message */
    size_t scratch_len;         /* bytes used; the host advances it */
    size_t scratch_cap;

    const char* error_message;  /* LUAW_CB_ERROR / PANIC: message (C memory, e.g. scratch) */
    size_t error_message_len;
    uint64_t error_token;       /* host's handle of the original error; nonzero makes an
                                   escaped error LUAW_ERRHOST with this token, 0 makes it a
                                   plain LUAW_ERRRUN */

    uint64_t continuation;      /* set by the wrapper: 0 for a call from Luau; the host's
                                   yield_continuation token when this call continues a yield */
    uint64_t yield_continuation; /* set by the host with LUAW_CB_YIELD: nonzero asks to be
                                   called again on resume (see LUAW_CB_YIELD). A thread that is
                                   never resumed never makes that call */
} luaw_Call;

/* Grows call->results to hold at least n values (existing values kept). */
int32_t luaw_call_reserve_results(luaw_Call* call, int32_t n) LUAW_NOEXCEPT;
/* Grows call->scratch to hold at least n more bytes (earlier pointers into scratch are
** rebased by the wrapper for results and the error message). */
int32_t luaw_call_reserve_scratch(luaw_Call* call, size_t n) LUAW_NOEXCEPT;

/*
** The dispatcher. host_ctx is the value given to luaw_set_dispatch. It must not let a
** panic, exception or unwind escape; it returns one of LUAW_CB_*.
*/
typedef int32_t (*luaw_Dispatch)(uintptr_t host_ctx, luaw_Call* call);
void luaw_set_dispatch(luaw_State* S, luaw_Dispatch dispatch, uintptr_t host_ctx) LUAW_NOEXCEPT;

/* Pushes a host function with the given id (nonzero); name is copied (borrowed). */
int32_t luaw_push_function(luaw_State* S, uint64_t function_id, const char* name, size_t name_len,
                           luaw_Error* err) LUAW_NOEXCEPT;
/* Pushes a host function and stores it as global `name` (any bytes, even ""). */
int32_t luaw_register_function(luaw_State* S, const char* name, size_t name_len,
                               uint64_t function_id, luaw_Error* err) LUAW_NOEXCEPT;
/* *function_id = the id of the host function at idx; LUAW_ERRARG if it is not one. */
int32_t luaw_function_id(luaw_State* S, int32_t idx, uint64_t* function_id) LUAW_NOEXCEPT;

/* Depth of host-function calls currently running on S (0 at the top level). */
int32_t luaw_host_depth(luaw_State* S) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Host userdata
**
** A host object appears in Luau as a full userdata holding (type_id, handle): never a
** pointer into Go or Rust memory. The host keeps the object in its own table under handle.
** Each type_id has one metatable (methods, fields, operators as host functions) installed
** with luaw_set_userdata_type. When Luau collects a userdata its handle is queued as
** released (by a C destructor: no host code runs inside the GC); the host drains the queue
** with luaw_drain_released and frees its objects. On luaw_close nothing is queued: the host
** frees every object it still holds for the state.
**
** In arguments and luaw_read_values a host userdata has type LUAW_TUSERDATA with
** u.userdata set (handle 0 for userdata the wrapper did not create). As a result,
** LUAW_TUSERDATA with u.userdata creates a new userdata of that type and handle.
** ------------------------------------------------------------------------------------ */

/* Pops a table and installs it as the metatable of userdata type_id (nonzero); name
** (borrowed) becomes its __type, shown by typeof(). Replaces an earlier metatable. */
int32_t luaw_set_userdata_type(luaw_State* S, uint32_t type_id, const char* name, size_t name_len,
                               luaw_Error* err) LUAW_NOEXCEPT;
/* Pushes a new userdata of a registered type with the given handle (nonzero). */
int32_t luaw_push_userdata(luaw_State* S, uint32_t type_id, uint64_t handle, luaw_Error* err) LUAW_NOEXCEPT;
/* Number of released handles waiting, and draining up to cap of them into out. */
size_t luaw_released_count(luaw_State* S) LUAW_NOEXCEPT;
size_t luaw_drain_released(luaw_State* S, uint64_t* out, size_t cap) LUAW_NOEXCEPT;

/* Opaque references: keep a value alive from the host (e.g. a Luau function). */
int32_t luaw_ref(luaw_State* S, int32_t idx, int32_t* ref, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_push_ref(luaw_State* S, int32_t ref) LUAW_NOEXCEPT;
void luaw_unref(luaw_State* S, int32_t ref) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Containment: stop requests, deadlines, sandbox, print
**
** A run is the outermost call into Luau (luaw_pcall, luaw_dostring, luaw_call_*, a thread
** resume) with no host function below it. A stop request or an expired deadline stops the
** run at the next VM safepoint (function entry, loop back-edge) with LUAW_ERRINTERRUPT. The
** stop is sticky like a panic: a script's pcall may catch the error, but the script is
** stopped again at its next safepoint, and the run reports LUAW_ERRINTERRUPT. The state is
** usable for the next run. The checks run in C, in the wrapper's own interrupt callback: no
** host code runs at a safepoint, and with no handle and no deadline nothing is checked at all.
** Not interruptible: a host function (the stop takes effect when it returns) and a single
** long builtin call (e.g. string.rep of a huge count; the limit bounds its memory).
** ------------------------------------------------------------------------------------ */

#define LUAW_STOP_CANCEL 1   /* luaw_stop_request */
#define LUAW_STOP_DEADLINE 2 /* the run's deadline passed */

/* A handle that stops the state's current run from any thread. Reference-counted and
** thread-safe; it outlives its state harmlessly (requests then do nothing). */
typedef struct luaw_StopHandle luaw_StopHandle;

/* A new reference to S's stop handle (created on first use: from then on, runs of S check
** it at every safepoint). Caller releases with luaw_stop_handle_release. NULL on OOM. */
luaw_StopHandle* luaw_stop_handle(luaw_State* S) LUAW_NOEXCEPT;
void luaw_stop_handle_release(luaw_StopHandle* h) LUAW_NOEXCEPT;
/* Any thread: stops the run going on now with cause (LUAW_STOP_*). Returns 1 if a run was
** going on, 0 if S was idle (then nothing happens: a later run is not affected). */
int32_t luaw_stop_request(luaw_StopHandle* h, int32_t cause) LUAW_NOEXCEPT;

/* Monotonic clock, nanoseconds (the clock deadlines are measured on). */
uint64_t luaw_clock_ns(void) LUAW_NOEXCEPT;
/* Deadlines (S's own thread). deadline_ns: absolute luaw_clock_ns() time after which runs
** stop (0 = none). timeout_ns: each run stops timeout_ns after it began (0 = none). Both may
** be set: the earlier wins. A deadline is checked every few hundred safepoints. */
void luaw_set_deadline(luaw_State* S, uint64_t deadline_ns) LUAW_NOEXCEPT;
void luaw_set_run_timeout(luaw_State* S, uint64_t timeout_ns) LUAW_NOEXCEPT;

/*
** Luau's sandbox: library tables, builtin metatables, the global table and every table in it
** (host type tables included) become read-only, and from then on every chunk gets its own
** writable global table whose reads fall through to the shared read-only globals: each
** luaw_dostring, each luaw_load and each new thread. Call it after registering host functions
** and types and setting shared globals. Irreversible. LUAW_ERRBUSY inside a run.
*/
int32_t luaw_sandbox(luaw_State* S, luaw_Error* err) LUAW_NOEXCEPT;
int32_t luaw_is_sandboxed(luaw_State* S) LUAW_NOEXCEPT;

/*
** print. Luau's print is replaced by the wrapper's: it formats its arguments as Luau's print
** does (tostring of each, tab-separated, a final newline) and hands the line to sink. The sink
** runs after the formatting; it must not call into S and must not let anything escape. With
** no sink (the default, and sink == NULL) print discards its output.
*/
typedef void (*luaw_PrintSink)(uintptr_t ctx, const char* line, size_t len);
void luaw_set_print(luaw_State* S, luaw_PrintSink sink, uintptr_t ctx) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Threads
**
** A Luau thread (coroutine) held by the host. luaw_dostring runs its chunk as a thread too,
** so every top-level chunk is yieldable and its pcall depth is Luau's own. Threads are
** addressed by stack index on S's current stack (keep them with luaw_ref).
** ------------------------------------------------------------------------------------ */

/* Thread status (luaw_thread_status). */
#define LUAW_THREAD_SUSPENDED 0 /* not started, or yielded: can be resumed */
#define LUAW_THREAD_RUNNING 1   /* running (it is the current thread or resumed another) */
#define LUAW_THREAD_FINISHED 2  /* returned: reset it to reuse */
#define LUAW_THREAD_ERROR 3     /* ended by an error: reset it to reuse */

/* Pops a function and pushes a new thread that will run it. On a sandboxed state the thread's
** globals are the function's own global table when it has one (a chunk loaded on that state:
** two threads of one chunk share its globals), otherwise a fresh writable table. */
int32_t luaw_thread_new(luaw_State* S, luaw_Error* err) LUAW_NOEXCEPT;
/*
** Resumes the thread at index tidx with the nargs values on top of the stack (popped). The
** values it yields (LUAW_YIELD) or returns (LUAW_OK) are pushed, *nresults (if non-NULL)
** says how many. On error nothing is pushed, err describes it and the thread is dead. A
** thread that is running, finished or dead gives LUAW_ERRARG.
*/
int32_t luaw_thread_resume(luaw_State* S, int32_t tidx, int32_t nargs, int32_t* nresults,
                           luaw_Error* err) LUAW_NOEXCEPT;
/* Resumes a yielded thread by raising the value on top of the stack (popped) at its yield
** point, as lua_resumeerror; results as luaw_thread_resume. */
int32_t luaw_thread_resume_error(luaw_State* S, int32_t tidx, int32_t* nresults, luaw_Error* err) LUAW_NOEXCEPT;
/* A LUAW_THREAD_* value, or -1 if tidx is not a thread. */
int32_t luaw_thread_status(luaw_State* S, int32_t tidx) LUAW_NOEXCEPT;
/* Makes a finished or dead thread reusable (lua_resetthread): no allocation per run for a
** pool of threads. Pops a function and sets it as the thread's new body when with_function. */
int32_t luaw_thread_reset(luaw_State* S, int32_t tidx, int32_t with_function, luaw_Error* err) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Loading source (a host-side loadstring)
** ------------------------------------------------------------------------------------ */

/*
** Compiles src with opts (NULL: level 1 / 1) and loads it as chunkname on the calling thread
** (S's current thread: inside a host function, the thread that called it), so the function's
** environment is that thread's current globals. On a sandboxed state, where that is still the
** shared read-only table, it is the calling Luau function's own global table inside a host
** function (as loadstring), else a new own table (as luaw_load). On LUAW_OK the function is
** pushed. A compile
** error is LUAW_ERRSYNTAX with the message Luau's loader formats, naming the chunk
** ("[string \"name\"]:<line>: <text>"), and nothing is pushed. An empty chunkname gives
** "chunk".
*/
int32_t luaw_load_source(luaw_State* S, const char* src, size_t src_len, const char* chunkname,
                         size_t chunkname_len, const luaw_CompileOptions* opts, luaw_Error* err) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Garbage collector
**
** luaw_gc is Luau's lua_gc on S's current thread (inside a host function, the thread that
** called it; the collector itself is per state). Sizes are in KB unless stated.
** ------------------------------------------------------------------------------------ */

typedef enum luaw_GCOp {
    LUAW_GCSTOP = 0,        /* stop automatic collection; *result = 0 */
    LUAW_GCRESTART = 1,     /* restart it; *result = 0 */
    LUAW_GCCOLLECT = 2,     /* a full collection (re-arms a stopped collector, as Luau
                               does); *result = 0 */
    LUAW_GCCOUNT = 3,       /* *result = heap size in KB (rounded down) */
    LUAW_GCCOUNTB = 4,      /* *result = heap size modulo 1024, in bytes */
    LUAW_GCISRUNNING = 5,   /* *result = 1 if automatic collection runs, else 0 */
    LUAW_GCSTEP = 6,        /* a step of arg KB of work; *result = 1 if it finished a cycle */
    LUAW_GCSETGOAL = 7,     /* goal in percent (heap size after a cycle); *result = old value */
    LUAW_GCSETSTEPMUL = 8,  /* step multiplier in percent; *result = old value */
    LUAW_GCSETSTEPSIZE = 9  /* step size in KB; *result = old value */
} luaw_GCOp;

/*
** Runs op with arg. Returns LUAW_OK and sets *result (if non-NULL); LUAW_ERRARG for an
** unknown op or a negative arg to LUAW_GCSTEP / LUAW_GCSETSTEPSIZE (*result untouched). Non-raising: a failure inside the
** collector comes back as its status.
*/
int32_t luaw_gc(luaw_State* S, int32_t op, int32_t arg, int32_t* result) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Modules: require-by-string (Luau.Require) with a host resolver
**
** luaw_set_require installs Luau's own require (luarequire_pushrequire) as global `require`.
** Navigation (reset, to_parent, to_child, @self, .luaurc aliases) runs in the wrapper on
** slash-separated paths relative to the resolver's root; the host answers only two questions,
** through its dispatcher (one crossing each, never per character): the resolver is an
** ordinary host function id, called with the arguments below. It runs under a protected call
** and returns like any host function; the wrapper raises only after it returned.
**
**   (LUAW_RESOLVE_MODULE, path)  path: "dir/name" without extension ("" is the root). Return
**                                nothing (or nil) when no module is there, else the module's
**                                source text and its file name ("dir/name.luau"), which is
**                                its chunk name ("@dir/name.luau": messages and tracebacks
**                                name that file and line) and its cache key.
**   (LUAW_RESOLVE_CONFIG, dir)   dir: as path. Return nothing when dir has no .luaurc, else
**                                its contents (JSON; Luau parses the aliases).
**
** A resolver error (or panic) becomes the require's error: the host's error identity and a
** panic's stickiness are kept as for any host function. Modules are compiled here from text
** (never bytecode), run on the requiring thread, and cached by file name (luarequire's cache:
** a second require returns the same value). A require of a module that is still loading is a
** cyclic require: the error names the chain ("cyclic require: a.luau -> b.luau -> a.luau").
** On a sandboxed state each module gets its own writable globals over the shared read-only
** ones, as each chunk does. A script's own chunk name decides where its relative requires
** start: a chunk named "@dir/file.luau" is that file; any other name is a file at the root.
** ------------------------------------------------------------------------------------ */

#define LUAW_RESOLVE_MODULE 1
#define LUAW_RESOLVE_CONFIG 2

/*
** Installs global `require` resolving through host function resolver_id (0: none, so only
** modules registered with luaw_register_module can be required). Calling it again replaces
** the resolver. Allowed on a sandboxed state (the host adds require to the shared globals).
*/
int32_t luaw_set_require(luaw_State* S, uint64_t resolver_id, luaw_Error* err) LUAW_NOEXCEPT;

/*
** Pops a value and registers it as the module `name` (borrowed; must begin with '@', e.g.
** "@host/json"; matched case-insensitively): require(name) returns it, before any resolver
** is asked. Installs require (without a resolver) if it is not installed yet.
*/
int32_t luaw_register_module(luaw_State* S, const char* name, size_t name_len, luaw_Error* err) LUAW_NOEXCEPT;

/* ------------------------------------------------------------------------------------
** Native code generation (Luau CodeGen), opt-in per state
**
** In a library built with CodeGen (CMake -DLUAW_CODEGEN=ON, as `make native` builds it; the
** Rust crate's `codegen` feature; Bazel), a state that called luaw_enable_codegen compiles
** every chunk loaded afterwards to machine code right after loading it: luaw_load,
** luaw_dostring, luaw_load_source, loadstring and modules loaded by require. Functions
** CodeGen cannot compile, and chunks loaded before, stay interpreted; results are the
** interpreter's. Without the call nothing changes and nothing costs.
** ------------------------------------------------------------------------------------ */

/* 1 when CodeGen is compiled in and this CPU supports it (x64 with SSE4.1, or arm64), else 0. */
int32_t luaw_codegen_supported(void) LUAW_NOEXCEPT;
/*
** Turns native code generation on for S (idempotent). LUAW_ERRUNSUPPORTED when
** luaw_codegen_supported() is 0 or CodeGen could not set up its executable memory; the
** state is unchanged then and keeps interpreting.
*/
int32_t luaw_enable_codegen(luaw_State* S, luaw_Error* err) LUAW_NOEXCEPT;
/* 1 when S compiles natively (luaw_enable_codegen succeeded), else 0. */
int32_t luaw_codegen_enabled(luaw_State* S) LUAW_NOEXCEPT;
/* 1 when the value at idx is a Luau function whose code was compiled natively, else 0. */
int32_t luaw_is_native(luaw_State* S, int32_t idx) LUAW_NOEXCEPT;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LUAU_WRAPPER_H */

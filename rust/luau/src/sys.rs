//! The C declarations of `luau/c/luau_wrapper.h`, hand-written: constants, `#[repr(C)]`
//! types and `extern "C"` functions, nothing else.
//!
//! The leaf of the crate (as `libsqlite3-sys` / `mlua-sys` are for theirs): it imports nothing
//! from the rest of the crate (`crate::layering_tests` checks it). The unsafe raw layer
//! (`ffi`) is built on it; the safe API on top of that.
#![allow(non_camel_case_types, unsafe_code, dead_code)]

use std::ffi::{c_char, c_void};
use std::marker::PhantomData;

pub(crate) const LUAW_ABI_VERSION: u32 = 2;
/// Our view of the build: every build of the wrapper must agree (see luau_config.h).
pub(crate) const EXPECTED_MAX_CSTACK: i32 = 8_000;
pub(crate) const EXPECTED_VECTOR_SIZE: i32 = 3;

pub(crate) const LUAW_OK: i32 = 0;
pub(crate) const LUAW_YIELD: i32 = 1;
pub(crate) const LUAW_ERRRUN: i32 = 2;
pub(crate) const LUAW_ERRSYNTAX: i32 = 3;
pub(crate) const LUAW_ERRMEM: i32 = 4;
pub(crate) const LUAW_ERRERR: i32 = 5;
pub(crate) const LUAW_ERRHOST: i32 = 16;
pub(crate) const LUAW_ERRPANIC: i32 = 17;
pub(crate) const LUAW_ERRARG: i32 = 18;
pub(crate) const LUAW_ERRBUSY: i32 = 19;
pub(crate) const LUAW_ERRABI: i32 = 20;
pub(crate) const LUAW_ERRINTERRUPT: i32 = 21;

pub(crate) const LUAW_TNONE: i32 = -1;
pub(crate) const LUAW_TNIL: i32 = 0;
pub(crate) const LUAW_TBOOLEAN: i32 = 1;
pub(crate) const LUAW_TLIGHTUSERDATA: i32 = 2;
pub(crate) const LUAW_TNUMBER: i32 = 3;
pub(crate) const LUAW_TINTEGER: i32 = 4;
pub(crate) const LUAW_TVECTOR: i32 = 5;
pub(crate) const LUAW_TSTRING: i32 = 6;
pub(crate) const LUAW_TTABLE: i32 = 7;
pub(crate) const LUAW_TFUNCTION: i32 = 8;
pub(crate) const LUAW_TUSERDATA: i32 = 9;
pub(crate) const LUAW_TTHREAD: i32 = 10;
pub(crate) const LUAW_TBUFFER: i32 = 11;
pub(crate) const LUAW_TSTACK: i32 = 100;

pub(crate) const LUAW_MULTRET: i32 = -1;
pub(crate) const LUAW_CB_OK: i32 = 0;
pub(crate) const LUAW_CB_ERROR: i32 = -1;
pub(crate) const LUAW_CB_PANIC: i32 = -2;
pub(crate) const LUAW_CB_YIELD: i32 = -3;

#[repr(C)]
pub(crate) struct luaw_State {
    pub(crate) _opaque: [u8; 0],
    // Not Send, not Sync, not Unpin: a C object used through a pointer only.
    pub(crate) _marker: PhantomData<(*mut u8, std::marker::PhantomPinned)>,
}

#[repr(C)]
pub(crate) struct luaw_BuildInfo {
    pub(crate) abi_version: u32,
    pub(crate) max_cstack: i32,
    pub(crate) vector_size: i32,
    pub(crate) uses_longjmp: i32,
    pub(crate) asserts_enabled: i32,
    pub(crate) luau_version: *const c_char,
}

#[repr(C)]
pub(crate) struct luaw_Error {
    pub(crate) status: i32,
    pub(crate) message: *const c_char,
    pub(crate) message_len: usize,
    pub(crate) traceback: *const c_char,
    pub(crate) traceback_len: usize,
    pub(crate) host_token: u64,
}

/// `luaw_CallResult`: what `luaw_call_ref_read` did with the results.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct luaw_CallResult {
    pub(crate) base: i32,
    pub(crate) nresults: i32,
    pub(crate) nread: i32,
    pub(crate) popped: i32,
}

#[repr(C)]
pub(crate) struct luaw_Options {
    pub(crate) abi_version: u32,
    pub(crate) memory_limit: usize,
    pub(crate) open_libs: i32,
}

#[repr(C)]
pub(crate) struct luaw_CompileOptions {
    pub(crate) optimization_level: i32,
    pub(crate) debug_level: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct luaw_Str {
    pub(crate) ptr: *const c_char,
    pub(crate) len: usize,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct luaw_Userdata {
    pub(crate) handle: u64,
    pub(crate) type_id: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) union luaw_ValueUnion {
    pub(crate) boolean: i32,
    pub(crate) number: f64,
    pub(crate) integer: i64,
    pub(crate) vector: [f32; 4],
    pub(crate) string: luaw_Str,
    pub(crate) userdata: luaw_Userdata,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct luaw_Value {
    pub(crate) type_: i32,
    pub(crate) stack_index: i32,
    pub(crate) u: luaw_ValueUnion,
}

#[repr(C)]
pub(crate) struct luaw_Call {
    pub(crate) state: *mut luaw_State,
    pub(crate) function_id: u64,
    pub(crate) name: *const c_char,
    pub(crate) name_len: usize,
    pub(crate) args: *const luaw_Value,
    pub(crate) nargs: i32,
    pub(crate) results: *mut luaw_Value,
    pub(crate) nresults: i32,
    pub(crate) results_cap: i32,
    pub(crate) scratch: *mut c_char,
    pub(crate) scratch_len: usize,
    pub(crate) scratch_cap: usize,
    pub(crate) error_message: *const c_char,
    pub(crate) error_message_len: usize,
    pub(crate) error_token: u64,
    pub(crate) continuation: u64,
    pub(crate) yield_continuation: u64,
}

pub(crate) type luaw_Dispatch = extern "C" fn(host_ctx: usize, call: *mut luaw_Call) -> i32;

extern "C" {
    pub(crate) fn luaw_abi_version() -> u32;
    pub(crate) fn luaw_build_info(out: *mut luaw_BuildInfo);
    pub(crate) fn luaw_free(p: *mut c_void);

    pub(crate) fn luaw_new(opts: *const luaw_Options, status: *mut i32) -> *mut luaw_State;
    pub(crate) fn luaw_close(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_memory_used(s: *mut luaw_State) -> usize;
    pub(crate) fn luaw_gc_collect(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_set_memory_limit(s: *mut luaw_State, bytes: usize);

    pub(crate) fn luaw_compile(
        src: *const c_char,
        src_len: usize,
        opts: *const luaw_CompileOptions,
        out: *mut *mut c_char,
        out_len: *mut usize,
    ) -> i32;
    pub(crate) fn luaw_load(
        s: *mut luaw_State,
        chunkname: *const c_char,
        chunkname_len: usize,
        bytecode: *const c_char,
        bytecode_len: usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_pcall(
        s: *mut luaw_State,
        nargs: i32,
        nresults: i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_run(
        s: *mut luaw_State,
        nargs: i32,
        nresults: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_dostring(
        s: *mut luaw_State,
        src: *const c_char,
        src_len: usize,
        chunkname: *const c_char,
        chunkname_len: usize,
        nresults: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;

    pub(crate) fn luaw_gettop(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_settop(s: *mut luaw_State, idx: i32) -> i32;
    pub(crate) fn luaw_read_values(
        s: *mut luaw_State,
        first: i32,
        n: i32,
        out: *mut luaw_Value,
    ) -> i32;
    pub(crate) fn luaw_push_values(
        s: *mut luaw_State,
        values: *const luaw_Value,
        n: i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_tostring(
        s: *mut luaw_State,
        idx: i32,
        ptr: *mut *const c_char,
        len: *mut usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_getglobal(
        s: *mut luaw_State,
        name: *const c_char,
        len: usize,
        type_: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_setglobal(
        s: *mut luaw_State,
        name: *const c_char,
        len: usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_newtable(
        s: *mut luaw_State,
        narr: i32,
        nrec: i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_getfield(
        s: *mut luaw_State,
        idx: i32,
        key: *const c_char,
        len: usize,
        type_: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_setfield(
        s: *mut luaw_State,
        idx: i32,
        key: *const c_char,
        len: usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_geti(
        s: *mut luaw_State,
        idx: i32,
        i: i64,
        type_: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_seti(s: *mut luaw_State, idx: i32, i: i64, err: *mut luaw_Error) -> i32;
    pub(crate) fn luaw_rawlen(s: *mut luaw_State, idx: i32, len: *mut usize) -> i32;
    pub(crate) fn luaw_next(
        s: *mut luaw_State,
        idx: i32,
        more: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;

    pub(crate) fn luaw_call_reserve_results(call: *mut luaw_Call, n: i32) -> i32;
    pub(crate) fn luaw_call_reserve_scratch(call: *mut luaw_Call, n: usize) -> i32;
    pub(crate) fn luaw_set_dispatch(
        s: *mut luaw_State,
        dispatch: Option<luaw_Dispatch>,
        host_ctx: usize,
    );
    pub(crate) fn luaw_register_function(
        s: *mut luaw_State,
        name: *const c_char,
        name_len: usize,
        function_id: u64,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_host_depth(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_push_function(
        s: *mut luaw_State,
        function_id: u64,
        name: *const c_char,
        name_len: usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_set_userdata_type(
        s: *mut luaw_State,
        type_id: u32,
        name: *const c_char,
        name_len: usize,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_released_count(s: *mut luaw_State) -> usize;
    pub(crate) fn luaw_drain_released(s: *mut luaw_State, out: *mut u64, cap: usize) -> usize;

    pub(crate) fn luaw_ref(s: *mut luaw_State, idx: i32, r: *mut i32, err: *mut luaw_Error) -> i32;
    pub(crate) fn luaw_push_ref(s: *mut luaw_State, r: i32) -> i32;
    pub(crate) fn luaw_call_ref(
        s: *mut luaw_State,
        r: i32,
        args: *const luaw_Value,
        nargs: i32,
        nresults: i32,
        nresults_out: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_call_ref_read(
        s: *mut luaw_State,
        r: i32,
        args: *const luaw_Value,
        nargs: i32,
        nresults: i32,
        results: *mut luaw_Value,
        results_cap: i32,
        out: *mut luaw_CallResult,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_call_global(
        s: *mut luaw_State,
        name: *const c_char,
        name_len: usize,
        args: *const luaw_Value,
        nargs: i32,
        nresults: i32,
        nresults_out: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_unref(s: *mut luaw_State, r: i32);
}

/// `LUAW_RESOLVE_MODULE` / `LUAW_RESOLVE_CONFIG`: the first argument of a resolver call.
pub(crate) const LUAW_RESOLVE_CONFIG: f64 = 2.0;

extern "C" {
    pub(crate) fn luaw_set_require(
        s: *mut luaw_State,
        resolver_id: u64,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_register_module(
        s: *mut luaw_State,
        name: *const c_char,
        len: usize,
        err: *mut luaw_Error,
    ) -> i32;
}

extern "C" {
    pub(crate) fn luaw_floor_register(
        s: *mut luaw_State,
        which: i32,
        name: *const c_char,
        len: usize,
    ) -> i32;
    pub(crate) fn luaw_floor_register_many(
        s: *mut luaw_State,
        which: i32,
        prefix: *const c_char,
        prefix_len: usize,
        count: i32,
    ) -> i32;
    pub(crate) fn luaw_floor_call_ref(
        s: *mut luaw_State,
        r: i32,
        arg: f64,
        result: *mut f64,
    ) -> i32;
    pub(crate) fn luaw_floor_resume_ref(
        s: *mut luaw_State,
        r: i32,
        arg: f64,
        yielded: *mut f64,
    ) -> i32;
}

// --- garbage collector and loading source (luau_wrapper.h "Garbage collector", "Loading
// source") --------------------------------------------------------------------------------

extern "C" {
    pub(crate) fn luaw_gc(s: *mut luaw_State, op: i32, arg: i32, result: *mut i32) -> i32;
    pub(crate) fn luaw_load_source(
        s: *mut luaw_State,
        src: *const c_char,
        src_len: usize,
        chunkname: *const c_char,
        chunkname_len: usize,
        opts: *const luaw_CompileOptions,
        err: *mut luaw_Error,
    ) -> i32;
}

pub(crate) const LUAW_STOP_CANCEL: i32 = 1;
pub(crate) const LUAW_STOP_DEADLINE: i32 = 2;

pub(crate) const LUAW_THREAD_SUSPENDED: i32 = 0;
pub(crate) const LUAW_THREAD_RUNNING: i32 = 1;
pub(crate) const LUAW_THREAD_FINISHED: i32 = 2;

#[repr(C)]
pub(crate) struct luaw_StopHandle {
    pub(crate) _opaque: [u8; 0],
    pub(crate) _marker: PhantomData<(*mut u8, std::marker::PhantomPinned)>,
}

pub(crate) type luaw_PrintSink = extern "C" fn(ctx: usize, line: *const c_char, len: usize);

extern "C" {
    pub(crate) fn luaw_stop_handle(s: *mut luaw_State) -> *mut luaw_StopHandle;
    pub(crate) fn luaw_stop_handle_release(h: *mut luaw_StopHandle);
    pub(crate) fn luaw_stop_request(h: *mut luaw_StopHandle, cause: i32) -> i32;
    pub(crate) fn luaw_clock_ns() -> u64;
    pub(crate) fn luaw_set_deadline(s: *mut luaw_State, deadline_ns: u64);
    pub(crate) fn luaw_set_run_timeout(s: *mut luaw_State, timeout_ns: u64);
    pub(crate) fn luaw_sandbox(s: *mut luaw_State, err: *mut luaw_Error) -> i32;
    pub(crate) fn luaw_is_sandboxed(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_set_print(s: *mut luaw_State, sink: Option<luaw_PrintSink>, ctx: usize);

    pub(crate) fn luaw_thread_new(s: *mut luaw_State, err: *mut luaw_Error) -> i32;
    pub(crate) fn luaw_thread_resume(
        s: *mut luaw_State,
        tidx: i32,
        nargs: i32,
        nresults: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_thread_resume_error(
        s: *mut luaw_State,
        tidx: i32,
        nresults: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_thread_status(s: *mut luaw_State, tidx: i32) -> i32;
    pub(crate) fn luaw_thread_reset(
        s: *mut luaw_State,
        tidx: i32,
        with_function: i32,
        err: *mut luaw_Error,
    ) -> i32;
}

// --- tables by any key, and identity (luau_wrapper.h "Globals and tables") -----------------

extern "C" {
    pub(crate) fn luaw_table_get(
        s: *mut luaw_State,
        idx: i32,
        raw: i32,
        type_: *mut i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_table_set(
        s: *mut luaw_State,
        idx: i32,
        raw: i32,
        err: *mut luaw_Error,
    ) -> i32;
    pub(crate) fn luaw_topointer(s: *mut luaw_State, idx: i32) -> usize;
}

// Native code generation (codegen.cpp).
extern "C" {
    pub(crate) fn luaw_codegen_supported() -> i32;
    pub(crate) fn luaw_enable_codegen(s: *mut luaw_State, err: *mut luaw_Error) -> i32;
    pub(crate) fn luaw_codegen_enabled(s: *mut luaw_State) -> i32;
    pub(crate) fn luaw_is_native(s: *mut luaw_State, idx: i32) -> i32;
}

"""OFFLINE VERIFICATION ONLY - rules_go's go_sdk extension, accepted and ignored.

The stand-in rules build with the `go` found on PATH (Debian's golang-go in the chroot).
"""

def _go_sdk_impl(module_ctx):
    # Nothing to create: the SDK is the host `go`.
    _ = module_ctx  # buildifier: disable=unused-variable

_download = tag_class(attrs = {
    "goarch": attr.string(),
    "goos": attr.string(),
    "name": attr.string(),
    "sdks": attr.string_list_dict(),
    "urls": attr.string_list(),
    "version": attr.string(),
})

_from_file = tag_class(attrs = {
    "go_mod": attr.label(),
    "name": attr.string(),
})

_host = tag_class(attrs = {
    "name": attr.string(),
    "version": attr.string(),
})

go_sdk = module_extension(
    implementation = _go_sdk_impl,
    tag_classes = {
        "download": _download,
        "from_file": _from_file,
        "host": _host,
    },
)

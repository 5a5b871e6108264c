"""OFFLINE VERIFICATION ONLY - gazelle's go_deps extension, accepted and ignored."""

def _go_deps_impl(module_ctx):
    _ = module_ctx  # buildifier: disable=unused-variable

go_deps = module_extension(
    implementation = _go_deps_impl,
    tag_classes = {
        "from_file": tag_class(attrs = {"go_mod": attr.label()}),
    },
)

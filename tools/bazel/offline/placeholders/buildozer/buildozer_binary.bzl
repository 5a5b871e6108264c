"""OFFLINE VERIFICATION ONLY - the extension bazel_tools expects from buildozer: an empty repo."""

def _empty_repo_impl(rctx):
    rctx.file("BUILD.bazel", "# OFFLINE VERIFICATION ONLY - empty placeholder\n")

_empty_repo = repository_rule(implementation = _empty_repo_impl)

def _buildozer_binary_impl(module_ctx):
    _ = module_ctx  # buildifier: disable=unused-variable
    _empty_repo(name = "buildozer_binary")

buildozer_binary = module_extension(implementation = _buildozer_binary_impl)

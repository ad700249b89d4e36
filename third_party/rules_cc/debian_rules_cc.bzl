"""Debian's rules_cc (package bazel-rules-cc) made usable with Bazel 4.2.3.

rules_cc 0.0.4 loads `use_cpp_toolchain` from @bazel_tools, which Bazel 4.2.3
lacks. This rule copies the packaged rules and replaces that helper with the
toolchain type it returns.
"""

_SOURCE = "/usr/share/bazel/rules/cc"
_PATCHED = [
    "cc/private/rules_impl/compiler_flag.bzl",
    "cc/private/rules_impl/cc_flags_supplier.bzl",
]

def _debian_rules_cc_impl(ctx):
    if not ctx.path(_SOURCE).exists:
        fail("%s is missing: run ./setup.sh (package bazel-rules-cc)" % _SOURCE)

    # A real copy, not symlinks: the patched files are rewritten in place.
    result = ctx.execute(["cp", "-R", _SOURCE + "/.", "."])
    if result.return_code != 0:
        fail("copying %s failed: %s" % (_SOURCE, result.stderr))
    for rel in _PATCHED:
        text = ctx.read(rel)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace("use_cpp_toolchain()", '["@bazel_tools//tools/cpp:toolchain_type"]')
        ctx.file(rel, text, legacy_utf8 = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    local = True,
)

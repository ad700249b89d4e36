"""An npm package installed by ./setup.sh into tools/node/node_modules, as a
Bazel repository: the package's files as package/<path> (all of them as
`:files`, for tests that load the whole package), plus `:node`, the machine's
Node.js, to run them with.

Bazel never installs anything: when the package is missing or is not the
version tools/node/package-lock.json pins, the build stops with "run
./setup.sh". The repository is refreshed whenever the lock file changes.
"""

def _locked_version(lock, package):
    # The lock file lists "node_modules/<package>": { "version": "x.y.z", ...
    entry = lock.find('"node_modules/%s"' % package)
    if entry < 0:
        return None
    start = lock.find('"version": "', entry) + len('"version": "')
    return lock[start:lock.find('"', start)]

def _npm_package_impl(ctx):
    package = ctx.attr.package
    lock_file = ctx.path(ctx.attr._lock)  # reading it makes the lock an input
    version = _locked_version(ctx.read(lock_file), package)
    if version == None:
        fail("%s is not in tools/node/package-lock.json" % package)

    installed = lock_file.dirname.get_child("node_modules").get_child(package)
    manifest = installed.get_child("package.json")
    if not manifest.exists:
        fail("npm package %s is not installed in tools/node/node_modules: run ./setup.sh" % package)
    if ('"version": "%s"' % version) not in ctx.read(manifest):
        fail("npm package %s in tools/node/node_modules is not version %s: run ./setup.sh" % (package, version))

    node = ctx.which("node")
    if node == None:
        fail("Node.js (node) is not on the PATH: run ./setup.sh")

    ctx.symlink(installed, "package")
    ctx.symlink(node, "node")
    ctx.file("BUILD.bazel", "\n".join([
        'exports_files(["node"] + glob(["package/**"]))',
        'filegroup(name = "files", srcs = glob(["package/**"]), visibility = ["//visibility:public"])',
        "",
    ]))

npm_package = repository_rule(
    implementation = _npm_package_impl,
    attrs = {
        "package": attr.string(mandatory = True),
        "_lock": attr.label(default = "//tools/node:package-lock.json", allow_single_file = True),
    },
    local = True,
)

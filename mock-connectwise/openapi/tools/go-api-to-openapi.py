#!/usr/bin/env python3
"""Builds `connectwise-2025.1.json`: every operation of the official ConnectWise Manage API
(path, method, request body schema, response schema or media type) and every object schema
those operations use that the other vendored files lack, read from the Go client
github.com/ai-connor/connectwise, which OpenAPI Generator built from the official ConnectWise
Manage 2025.1 file. Each `api_*.go` `...Execute` function carries its operation: the HTTP
method (`localVarHTTPMethod`), the path (`localVarPath`), the body (`localVarPostBody = r.x`,
typed by the request struct), the answer (`localVarReturnValue`) and the media types it
accepts (`localVarHTTPHeaderAccepts`). Models are converted by go-models-to-openapi.py.

Usage: go-api-to-openapi.py <checkout or bare mirror of ai-connor/connectwise> \
           connectwise-subset.json openapi-2026.4-get.json connectwise-extra.json > ../connectwise-2025.1.json
"""
import importlib.util
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("models", os.path.join(HERE, "go-models-to-openapi.py"))
models = importlib.util.module_from_spec(spec)
sys.argv, args = sys.argv[:1] + sys.argv[2:], sys.argv[1:]
spec.loader.exec_module(models)


def git(repo, *a):
    out = subprocess.run(["git", "-C", repo, *a], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return out.stdout


def schema_of(t, pending):
    """The OpenAPI schema of a Go type, queuing the models it names."""
    t = t.strip().lstrip("*")
    if t in ("", "interface{}", "map[string]interface{}"):
        return {"type": "object"}
    return models.go_type(t, pending)


def operations(repo, src, pending):
    structs = {}
    for m in re.finditer(r"^type (Api\w+Request) struct \{\n(.*?)^\}", src, re.S | re.M):
        fields = {}
        for line in m.group(2).splitlines():
            parts = line.split()
            if len(parts) == 2:
                fields[parts[0]] = parts[1]
        structs[m.group(1)] = fields
    ops = []
    pattern = r"^func \(a \*\w+\) (\w+)Execute\(r (Api\w+Request)\) \(([^)]*?)(?:, )?\*http\.Response, error\) \{\n(.*?)^\}"
    for m in re.finditer(pattern, src, re.S | re.M):
        name, req, ret, body = m.group(1), m.group(2), m.group(3).strip(), m.group(4)
        method = re.search(r"localVarHTTPMethod\s+= http\.Method(\w+)", body).group(1).upper()
        path = re.search(r'localVarPath := localBasePath \+ "([^"]+)"', body).group(1)
        accepts = re.search(r"localVarHTTPHeaderAccepts := \[\]string\{([^}]*)\}", body)
        media = [x.strip().strip('"') for x in accepts.group(1).split(",")] if accepts else []
        op = {"operationId": name[0].lower() + name[1:]}
        post = re.search(r"localVarPostBody = r\.(\w+)", body)
        if post:
            t = structs.get(req, {}).get(post.group(1), "")
            op["requestBody"] = {"content": {"application/json": {"schema": schema_of(t, pending)}}}
        if ret == "*os.File":
            op["responses"] = {"200": {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                                   for m in (media or ["application/octet-stream"])}}}
        elif ret:
            op["responses"] = {"200": {"content": {"application/json": {"schema": schema_of(ret, pending)}}}}
        else:
            op["responses"] = {"204": {"description": "No Content"}}
        ops.append((path, method.lower(), op))
    return ops


def index_models(repo):
    """`struct name → source` of every model file (the file name does not always follow the
    struct's name: `GLExport` is in `model_gl_export.go`)."""
    files = [f for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split() if f.startswith("model_")]
    batch = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input="".join(f"HEAD:{f}\n" for f in files),
                           capture_output=True, text=True).stdout
    out = {}
    for m in re.finditer(r"^type (\w+) struct \{", batch, re.M):
        # The file's text from its header to the next header is enough for convert().
        start = batch.rfind("\npackage ", 0, m.start())
        end = batch.find("\npackage ", m.end())
        out[m.group(1)] = batch[start: end if end > 0 else len(batch)]
    return out


def main():
    repo = args[0]
    sources = index_models(repo)
    models.go_source = lambda _repo, name: sources.get(name) or sys.exit(f"no model {name}")
    known = set()
    for path in args[1:]:
        known |= set(json.load(open(path))["components"]["schemas"])
    paths, pending = {}, []
    files = [f for f in git(repo, "ls-tree", "-r", "--name-only", "HEAD").split() if re.match(r"api_\w+\.go$", f)]
    for f in sorted(files):
        for path, method, op in operations(repo, git(repo, "show", f"HEAD:{f}"), pending):
            op["x-source"] = f
            paths.setdefault(path, {})[method] = op
    schemas = {}
    while pending:
        name = pending.pop(0)
        if name in schemas or name in known:
            continue
        schemas[name] = models.convert(repo, name, pending)
    doc = {"openapi": "3.0.1",
           "info": {"title": "ConnectWise Manage API 2025.1: every operation, and the schemas the other vendored files lack",
                    "version": "2025.1",
                    "description": "Generated by tools/go-api-to-openapi.py from github.com/ai-connor/connectwise "
                                   "(OpenAPI Generator output of the official ConnectWise Manage 2025.1 file): "
                                   "paths from api_*.go, schemas from model_*.go"},
           "paths": dict(sorted(paths.items())),
           "components": {"schemas": dict(sorted(schemas.items()))}}
    json.dump(doc, sys.stdout, indent=0, separators=(",", ":"))
    sys.stdout.write("\n")


main()

#!/usr/bin/env python3
"""Writes server/src/main/resources/openapi.json. ApiContractTest checks it matches the routes served."""
import json, pathlib, re

P = "/v1.0/{project_id}"
ROUTES = [
    ("GET", "/", "API versions (no token needed)", None, "200"),
    ("GET", "/openapi.json", "This document", None, "200"),
    ("GET", "/ui", "Web console entry page", None, "200"),
    ("POST", "/coffer/v1/tokens", "Log in with user name and password (or, with a token, issue another token)", "token", "201"),
    ("GET", "/coffer/v1/tokens", "The caller's live tokens", None, "200"),
    ("DELETE", "/coffer/v1/tokens/{token_id}", "Revoke a token", None, "204"),
    ("GET", "/coffer/v1/projects", "Projects of the caller (all projects for admins)", None, "200"),
    ("POST", "/coffer/v1/projects", "Create a project (admin)", "project", "201"),
    ("POST", "/coffer/v1/users", "Create a user account in a project (admin)", "user", "201"),
    ("POST", "/coffer/v1/datastores/{ds}/versions", "Register or update a datastore version with its executables (admin)", "version", "201"),
    ("PATCH", "/coffer/v1/datastores/{ds}/versions/{version}", "Hide, deprecate or activate a datastore version; make it the default (admin)", "version", "200"),
    ("GET", "/coffer/v1/backup_keys", "Master keys: the current one, earlier ones still held, how many backups' data keys each wraps (admin)", None, "200"),
    ("POST", "/coffer/v1/backup_keys/rotate", "Make a new master key and re-wrap every backup's data key onto it; the old key is kept as master.key.retired-<id> (admin)", None, "200"),
    ("POST", "/coffer/v1/backup_keys/rewrap", "Re-wrap every backup's data key onto the current master key (after changing COFFER_MASTER_KEY) (admin)", None, "200"),
    ("GET", P + "/datastores", "Datastores with their versions", None, "200"),
    ("GET", P + "/datastores/{ds}", "One datastore by name or id", None, "200"),
    ("GET", P + "/datastores/{ds}/versions", "Versions of a datastore", None, "200"),
    ("GET", P + "/datastores/{ds}/versions/{version}", "One version by name or id", None, "200"),
    ("GET", P + "/datastores/versions/{version_id}", "One version by id", None, "200"),
    ("GET", P + "/datastores/{ds}/versions/{version}/flavors", "Flavors usable with a version", None, "200"),
    ("GET", P + "/flavors", "Flavors", None, "200"),
    ("GET", P + "/flavors/{id}", "One flavor by id (names answer 404)", None, "200"),
    ("POST", P + "/instances", "Create an instance (asynchronous; status BUILD); restorePoint {backupRef} fills it from a backup", "instance", "200"),
    ("GET", P + "/instances", "Instances of the project; paging with limit and marker", None, "200"),
    ("GET", P + "/instances/{id}", "One instance", None, "200"),
    ("PUT", P + "/instances/{id}", "Rename or change access", "instance", "202"),
    ("PATCH", P + "/instances/{id}", "Rename or change access", "instance", "202"),
    ("DELETE", P + "/instances/{id}", "Delete an instance (asynchronous)", None, "202"),
    ("POST", P + "/instances/{id}/action", "Action: {\"restart\": {}}", "action", "202"),
    ("POST", P + "/instances/{id}/databases", "Create databases", "databases", "202"),
    ("GET", P + "/instances/{id}/databases", "List databases", None, "200"),
    ("DELETE", P + "/instances/{id}/databases/{db}", "Delete a database", None, "202"),
    ("POST", P + "/instances/{id}/users", "Create users", "users", "202"),
    ("GET", P + "/instances/{id}/users", "List users", None, "200"),
    ("GET", P + "/instances/{id}/users/{user}", "Show a user (name or name@host, URL-encoded)", None, "200"),
    ("PUT", P + "/instances/{id}/users/{user}", "Change a user's name, host or password", "user", "202"),
    ("DELETE", P + "/instances/{id}/users/{user}", "Delete a user", None, "202"),
    ("GET", P + "/instances/{id}/users/{user}/databases", "Databases a user may use", None, "200"),
    ("PUT", P + "/instances/{id}/users/{user}/databases", "Grant access to databases", "databases", "202"),
    ("DELETE", P + "/instances/{id}/users/{user}/databases/{db}", "Revoke access to a database", None, "202"),
    ("GET", P + "/instances/{id}/root", "Whether root was enabled", None, "200"),
    ("POST", P + "/instances/{id}/root", "Enable root; answers the password once", None, "200"),
    ("DELETE", P + "/instances/{id}/root", "Disable root", None, "204"),
    ("POST", P + "/backups", "Create a backup of an instance (incremental: 1 or parent_id for an incremental; swift_container picks the container)", "backup", "202"),
    ("GET", P + "/backups", "Backups of the project; filters instance_id and datastore; paging with limit and marker", None, "200"),
    ("GET", P + "/backups/{id}", "One backup", None, "200"),
    ("DELETE", P + "/backups/{id}", "Delete a backup and the incrementals built on it", None, "202"),
    ("POST", P + "/backups/{id}/verify", "Restore drill: restore into a scratch instance, check and count the data, time it (native extension)", None, "202"),
    ("GET", P + "/instances/{id}/backups", "Backups of one instance", None, "200"),
    ("POST", P + "/backup_strategies", "Set the container (swift_container) for later backups of an instance (instance_id) or of the whole project", "backup_strategy", "202"),
    ("GET", P + "/backup_strategies", "Backup strategies of the project; filters instance_id and (admin) project_id", None, "200"),
    ("DELETE", P + "/backup_strategies", "Delete the strategy of ?instance_id= or, without it, the project-wide one", None, "202"),
    ("GET", P + "/instances/{id}/backup_schedule", "The instance's backup schedule (native extension)", None, "200"),
    ("PUT", P + "/instances/{id}/backup_schedule", "Set the backup schedule: cron, incremental, verify (restore drill of each backup), keep_last/daily/weekly/monthly (native extension)", "backup_schedule", "200"),
    ("DELETE", P + "/instances/{id}/backup_schedule", "Remove the backup schedule (native extension)", None, "204"),
    ("POST", "/agent/v1/instances/{id}/heartbeat", "Agent heartbeat (agent secret as Bearer token)", "heartbeat", "204"),
    ("GET", "/agent/v1/instances/{id}/commands/next", "Agent long-poll for its next command", None, "200"),
    ("POST", "/agent/v1/instances/{id}/commands/{command}/result", "Agent posts a command's result", "result", "204"),
]

FAULT = {"type": "object", "description": "Trove fault: {\"<faultName>\": {\"code\": N, \"message\": \"...\"}}",
         "additionalProperties": {"type": "object", "properties": {"code": {"type": "integer"}, "message": {"type": "string"}}}}

paths = {}
for method, path, summary, body, ok in ROUTES:
    op = {"summary": summary, "responses": {ok: {"description": "success"},
          "4XX": {"description": "fault", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Fault"}}}}}}
    params = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in re.findall(r"{(\w+)}", path)]
    if params:
        op["parameters"] = params
    if body:
        op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object", "description": f"body with '{body}' (see docs/api.md)"}}}}
    if path.startswith("/v1.0") or path.startswith("/coffer") and not (method == "POST" and path == "/coffer/v1/tokens"):
        op["security"] = [{"token": []}]
    paths.setdefault(path, {})[method.lower()] = op

doc = {"openapi": "3.0.3",
       "info": {"title": "Coffer API", "version": "0.1.0",
                "description": "OpenStack Trove v1.0 compatible API plus Coffer's native /coffer/v1 extensions. See docs/api.md."},
       "paths": paths,
       "components": {"schemas": {"Fault": FAULT},
                      "securitySchemes": {"token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}}}}
out = pathlib.Path(__file__).resolve().parents[1] / "src/main/resources/openapi.json"
out.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {out} ({len(ROUTES)} routes)")

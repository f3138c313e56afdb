"""Checks deploy/kustomization.yaml, deploy/k8s/*.yaml and docker-compose.yml for what
issue #17 asks of the deployment; prints one line per problem, exits 1 when there is any."""
import json
import os
import sys

import yaml

root = sys.argv[1]
problems = []


def need(condition, message):
    if not condition:
        problems.append(message)


def load_all(path):
    with open(os.path.join(root, path)) as f:
        return [d for d in yaml.safe_load_all(f) if d]


kustomization = load_all("deploy/kustomization.yaml")[0]
docs = []
for resource in kustomization["resources"]:
    need(os.path.exists(os.path.join(root, "deploy", resource)), f"kustomization resource {resource} missing")
    docs += load_all(os.path.join("deploy", resource))
by_kind = {}
for d in docs:
    by_kind.setdefault(d["kind"], []).append(d)
generated = {g["name"]: g["files"] for g in kustomization.get("configMapGenerator", [])}
need("hookway-config" in generated, "no hookway-config ConfigMap generated")
need(any(f.startswith("routes.json=") for f in generated.get("hookway-config", [])), "routes.json not in the ConfigMap")

stateful = {d["metadata"]["name"]: d for d in by_kind.get("StatefulSet", [])}
deployments = {d["metadata"]["name"]: d for d in by_kind.get("Deployment", [])}
need("hookway-serve" in stateful, "serve is not a StatefulSet")
need("hookway-consume" in deployments, "consume is not a Deployment")


def check_pod(name, spec, port_name):
    pod = spec["template"]["spec"]
    c = pod["containers"][0]
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    need(c.get("securityContext", {}).get("readOnlyRootFilesystem") is True, f"{name}: root filesystem not read-only")
    need(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{name}: may run as root")
    for probe in ("livenessProbe", "readinessProbe"):
        need(probe in c, f"{name}: no {probe}")
        need(c.get(probe, {}).get("httpGet", {}).get("port") == port_name, f"{name}: {probe} not on {port_name}")
    requests = c.get("resources", {}).get("requests", {})
    need("cpu" in requests and "memory" in requests, f"{name}: no resource requests")
    need(env.get("HOOKWAY_SECRETS_DIR") in mounts, f"{name}: HOOKWAY_SECRETS_DIR is not a mounted directory")
    secret_volume = volumes.get(mounts.get(env.get("HOOKWAY_SECRETS_DIR"), ""), {})
    need("secret" in secret_volume, f"{name}: secrets are not mounted from a Secret")
    config = env.get("HOOKWAY_CONFIG", "")
    config_dir = os.path.dirname(config)
    need(config_dir in mounts and "configMap" in volumes.get(mounts[config_dir], {}), f"{name}: {config} not from a ConfigMap directory")
    need(not any("subPath" in m for m in c.get("volumeMounts", [])), f"{name}: a subPath mount never sees ConfigMap updates")
    return c, env, mounts, pod


if "hookway-serve" in stateful:
    s = stateful["hookway-serve"]
    c, env, mounts, pod = check_pod("serve", s["spec"], "http")
    claims = [t["metadata"]["name"] for t in s["spec"].get("volumeClaimTemplates", [])]
    spool = env.get("HOOKWAY_SPOOL_PATH")
    need(spool in mounts and mounts[spool] in claims, f"serve: spool {spool} is not on a per-replica volume claim")
    need(pod.get("terminationGracePeriodSeconds", 30) * 1000 > 20000, "serve: grace period shorter than the shutdown timeout")
if "hookway-consume" in deployments:
    check_pod("consume", deployments["hookway-consume"]["spec"], "metrics")
budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] for d in by_kind.get("PodDisruptionBudget", [])}
need(budgets == {"serve", "consume"}, f"disruption budgets cover {sorted(budgets)}")

# docker-compose.yml: one spool volume per serve replica, never shared.
with open(os.path.join(root, "docker-compose.yml")) as f:
    compose = yaml.safe_load(f)
serves = {n: s for n, s in compose["services"].items() if n.startswith("hookway-serve")}
need(len(serves) >= 2, "fewer than two serve replicas in docker-compose.yml")
spools = []
for n, s in serves.items():
    vols = [v for v in s.get("volumes", []) if v.endswith(":/var/lib/hookway/spool")]
    need(len(vols) == 1, f"{n}: no spool volume")
    spools += [v.split(":")[0] for v in vols]
need(len(spools) == len(set(spools)), f"serve replicas share a spool volume: {spools}")
for p in problems:
    print(p)
print(json.dumps({"documents": len(docs), "problems": len(problems)}))
sys.exit(1 if problems else 0)

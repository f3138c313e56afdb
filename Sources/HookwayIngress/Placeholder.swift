// HookwayIngress

// HookwayTesting

// HookwayCore

// HookwayProviders

// HookwaySinks

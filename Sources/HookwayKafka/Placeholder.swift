// HookwayKafka

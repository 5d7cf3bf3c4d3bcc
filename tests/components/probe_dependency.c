/* Dependency of missing_dependency_component, deliberately put where nothing finds it. */
int probe_dependency_value(void) { return 7; }

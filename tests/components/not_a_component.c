/* A valid shared library that is not a bitbridge component (exports no entry point). */
int not_a_component_answer(void) { return 42; }

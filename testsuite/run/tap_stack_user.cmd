exec upfix_O0

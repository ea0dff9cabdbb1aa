exec upfix_O2

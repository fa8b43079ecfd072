// FloeTokenizers

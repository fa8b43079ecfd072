// FloeModels

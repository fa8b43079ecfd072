// FloeWeights

// FloeCPU

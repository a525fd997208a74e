"""What the machine is doing: CPU, memory and GPU figures, sampled on a thread of their own."""

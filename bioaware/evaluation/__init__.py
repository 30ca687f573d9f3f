"""Sample-quality evaluation shared by the generative models (Spiking-GAN, the VAE)."""

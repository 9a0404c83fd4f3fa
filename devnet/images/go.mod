module k3s-daas/devnet/images

go 1.22

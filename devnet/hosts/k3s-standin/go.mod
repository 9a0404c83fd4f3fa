module k3s-daas/devnet/hosts/k3s-standin

go 1.22

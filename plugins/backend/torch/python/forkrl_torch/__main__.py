from forkrl_torch.server import main

main()

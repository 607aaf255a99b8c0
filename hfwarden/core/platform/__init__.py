"""The one model of the platform: how an endpoint starts, autoscales and bills. Pure."""

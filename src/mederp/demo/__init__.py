"""The demo plant: a fictitious Class II maker of sterile infusion sets, on two sites."""

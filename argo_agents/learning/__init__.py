"""Learning from earlier runs: measured history that changes the next plan and assignment."""

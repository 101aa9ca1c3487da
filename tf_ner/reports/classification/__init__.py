"""Classification reports: labels and probabilities, and the confusion matrix."""

"""Named-entity recognition: the task (`task.NerTask`) and its heads (`heads`)."""

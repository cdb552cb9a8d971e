"""Agreement measures and disagreement finding, as pure functions over spans."""

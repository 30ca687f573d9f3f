"""Sample-quality evaluation of generated digits: a trained digit classifier, recognition and Fréchet distance."""

"""10-NN accuracy of a 2-D embedding (.npy, label in the last column), as openTSNE's authors report it:
5-fold cross-validated k-NN classification (scikit-learn), beside the leave-one-out figure Latent prints.

    python3 Scripts/tsne/knn_accuracy.py EMBEDDING.npy
"""
import json, sys

import numpy as np
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier

a = np.load(sys.argv[1])
x, y = a[:, :-1], a[:, -1].astype(int)
five_fold = cross_val_score(KNeighborsClassifier(n_neighbors=10), x, y, cv=5).mean()
print(json.dumps({"file": sys.argv[1], "points": len(x), "knn10_accuracy_5fold": round(float(five_fold), 4)}))

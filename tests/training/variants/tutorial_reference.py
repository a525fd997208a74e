"""The tutorial's own training loops, copied from its cells.

Only `print(it, loss)` became `losses.append(...)`, and the loop count is a parameter.
Each function seeds the global generators as a learner would before running the cell.
"""

import numpy as np
import torch
import torch.nn as nn


def numpy_loop(seed, iterations):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = np.random.randn(N, D_in)
    y = np.random.randn(N, D_out)

    w1 = np.random.randn(D_in, H)
    w2 = np.random.randn(H, D_out)

    learning_rate = 1e-6
    for it in range(iterations):
        # Forward pass
        h = x.dot(w1)  # N * H
        h_relu = np.maximum(h, 0)  # N * H
        y_pred = h_relu.dot(w2)  # N * D_out

        # compute loss
        loss = np.square(y_pred - y).sum()
        losses.append(loss)

        # Backward pass
        # compute the gradient
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.T.dot(grad_y_pred)
        grad_h_relu = grad_y_pred.dot(w2.T)
        grad_h = grad_h_relu.copy()
        grad_h[h < 0] = 0
        grad_w1 = x.T.dot(grad_h)

        # update weights of w1 and w2
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def tensors_loop(seed, iterations):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    w1 = torch.randn(D_in, H)
    w2 = torch.randn(H, D_out)

    learning_rate = 1e-6
    for it in range(iterations):
        # Forward pass
        h = x.mm(w1)  # N * H
        h_relu = h.clamp(min=0)  # N * H
        y_pred = h_relu.mm(w2)  # N * D_out

        # compute loss
        loss = (y_pred - y).pow(2).sum().item()
        losses.append(loss)

        # Backward pass
        # compute the gradient
        grad_y_pred = 2.0 * (y_pred - y)
        grad_w2 = h_relu.t().mm(grad_y_pred)
        grad_h_relu = grad_y_pred.mm(w2.t())
        grad_h = grad_h_relu.clone()
        grad_h[h < 0] = 0
        grad_w1 = x.t().mm(grad_h)

        # update weights of w1 and w2
        w1 -= learning_rate * grad_w1
        w2 -= learning_rate * grad_w2
    return losses


def autograd_loop(seed, iterations):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    w1 = torch.randn(D_in, H, requires_grad=True)
    w2 = torch.randn(H, D_out, requires_grad=True)

    learning_rate = 1e-6
    for it in range(iterations):
        # Forward pass
        y_pred = x.mm(w1).clamp(min=0).mm(w2)

        # compute loss
        loss = (y_pred - y).pow(2).sum()  # computation graph
        losses.append(loss.item())

        # Backward pass
        loss.backward()

        # update weights of w1 and w2
        with torch.no_grad():
            w1 -= learning_rate * w1.grad
            w2 -= learning_rate * w2.grad
            w1.grad.zero_()
            w2.grad.zero_()
    return losses


def nn_loop(seed, iterations):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H, bias=False),  # w_1 * x + b_1
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out, bias=False),
    )

    torch.nn.init.normal_(model[0].weight)
    torch.nn.init.normal_(model[2].weight)

    # model = model.cuda()

    loss_fn = nn.MSELoss(reduction="sum")

    learning_rate = 1e-6
    for it in range(iterations):
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        losses.append(loss.item())

        # Backward pass
        loss.backward()

        # update weights of w1 and w2
        with torch.no_grad():
            for param in model.parameters():  # param (tensor, grad)
                param -= learning_rate * param.grad

        model.zero_grad()
    return losses


def optim_loop(seed, iterations, adam=False):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H, bias=False),  # w_1 * x + b_1
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out, bias=False),
    )

    torch.nn.init.normal_(model[0].weight)
    torch.nn.init.normal_(model[2].weight)

    # model = model.cuda()

    loss_fn = nn.MSELoss(reduction="sum")
    if adam:
        learning_rate = 1e-4
        optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)
    else:
        learning_rate = 1e-6
        optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

    for it in range(iterations):
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        losses.append(loss.item())

        optimizer.zero_grad()
        # Backward pass
        loss.backward()

        # update model parameters
        optimizer.step()
    return losses


def custom_module_loop(seed, iterations):
    torch.manual_seed(seed)
    np.random.seed(seed)
    losses = []
    N, D_in, H, D_out = 64, 1000, 100, 10

    # 随机创建一些训练数据
    x = torch.randn(N, D_in)
    y = torch.randn(N, D_out)

    class TwoLayerNet(torch.nn.Module):
        def __init__(self, D_in, H, D_out):
            super(TwoLayerNet, self).__init__()
            # define the model architecture
            self.linear1 = torch.nn.Linear(D_in, H, bias=False)
            self.linear2 = torch.nn.Linear(H, D_out, bias=False)

        def forward(self, x):
            y_pred = self.linear2(self.linear1(x).clamp(min=0))
            return y_pred

    model = TwoLayerNet(D_in, H, D_out)
    loss_fn = nn.MSELoss(reduction="sum")
    learning_rate = 1e-4
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

    for it in range(iterations):
        # Forward pass
        y_pred = model(x)  # model.forward()

        # compute loss
        loss = loss_fn(y_pred, y)  # computation graph
        losses.append(loss.item())

        optimizer.zero_grad()
        # Backward pass
        loss.backward()

        # update model parameters
        optimizer.step()
    return losses


REFERENCE = {
    "numpy": numpy_loop,
    "tensors": tensors_loop,
    "autograd": autograd_loop,
    "nn": nn_loop,
    "optim": optim_loop,
    "custom_module": custom_module_loop,
}

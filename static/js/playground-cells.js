// The tutorial's tensor cells ("Tensors" to "CUDA Tensors", and "简单的autograd"), as the
// playground's picker offers them. Each runs on its own, so a cell that used an earlier cell's
// `x` starts by making one. Keep every entry as `{ id: "...", title: "...", code: `...` }`:
// tests/playground/test_page_cells.py reads this file and runs each cell.

export const CELLS = [
  {
    id: "create",
    title: "创建 tensors: empty, rand, zeros, tensor, new_ones, randn_like, size",
    code: `import torch
# 构造一个未初始化的5x3矩阵
x = torch.empty(5,3)
x
# 构建一个随机初始化的矩阵
x = torch.rand(5,3)
x
# 构建一个全部为0,类型为long的矩阵
x = torch.zeros(5,3,dtype=torch.long)
x
x = torch.zeros(5,3).long()
x.dtype
# 从数据直接直接构建tensor
x = torch.tensor([5.5,3])
x
# 从一个已有的tensor构建一个tensor
x = x.new_ones(5,3, dtype=torch.double)
x
x = torch.randn_like(x, dtype=torch.float)
x
# 得到tensor的形状
x.shape
x.size()
`,
  },
  {
    id: "add",
    title: "加法: x + y, torch.add, out=result, add_",
    code: `import torch
x = torch.randn(5,3)
y = torch.rand(5,3)
y
x + y
# 另一种着加法的写法
torch.add(x, y)
# 加法:把输出作为一个变量
result = torch.empty(5,3)
torch.add(x, y, out=result)
# result = x + y
result
# in-place加法
y.add_(x)
y
`,
  },
  {
    id: "index",
    title: "Indexing: x[:, 1], x[1:, 1:]",
    code: `import torch
x = torch.randn(5,3)
x
# 各种类似NumPy的indexing都可以在PyTorch tensor上面使用
x[:, 1]
x[1:, 1:]
`,
  },
  {
    id: "view",
    title: "Resizing: view(16), view(-1,8)",
    code: `import torch
x = torch.randn(4,4)
y = x.view(16)
z = x.view(-1,8)
x
y
z
`,
  },
  {
    id: "item",
    title: ".item(): a one-element tensor as a Python number",
    code: `import torch
x = torch.randn(1)
x
x.item()
`,
  },
  {
    id: "transpose",
    title: "transpose(1,0)",
    code: `import torch
x = torch.randn(4,4)
z = x.view(-1,8)
z
z.transpose(1,0)
`,
  },
  {
    id: "to-numpy",
    title: "NumPy bridge: a.numpy(), then b[1] = 2",
    code: `import torch
# 把Torch Tensor转变成NumPy Array
a = torch.ones(5)
a
b = a.numpy()
b
# 改变numpy array里面的值
b[1] = 2
b
a
`,
  },
  {
    id: "from-numpy",
    title: "NumPy bridge: torch.from_numpy, np.add(out=)",
    code: `import torch
import numpy as np
# 把NumPy ndarray转成Torch Tensor
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
b
`,
  },
  {
    id: "cuda",
    title: "CUDA Tensors: if torch.cuda.is_available()",
    code: `import torch
x = torch.randn(1)
# 使用.to方法,Tensor可以被移动到别的device上
if torch.cuda.is_available():
    device = torch.device("cuda")
    y = torch.ones_like(x, device=device)
    x = x.to(device)
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))
torch.cuda.is_available()
`,
  },
  {
    id: "autograd",
    title: "简单的autograd: requires_grad, backward(), .grad",
    code: `import torch
x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(3., requires_grad=True)

y = w*x + b # y = 2*1+3

y.backward()

# dy / dw = x
print(w.grad)
print(x.grad)
print(b.grad)
w
`,
  },
];

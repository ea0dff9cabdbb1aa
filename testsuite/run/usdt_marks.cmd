exec usdtfix
